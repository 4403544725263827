package io.tidemark.mart.rest;

import io.smallrye.mutiny.Uni;
import io.tidemark.event.SourceId;
import io.tidemark.mart.config.MartConfig;
import io.tidemark.mart.model.ActiveUsers;
import io.tidemark.mart.model.DailyMetrics;
import io.tidemark.mart.model.Funnel;
import io.tidemark.mart.model.Lateness;
import io.tidemark.mart.model.Retention;
import io.tidemark.mart.model.Revisions;
import io.tidemark.mart.model.TopEvents;
import io.tidemark.mart.query.BreakdownPath;
import io.tidemark.mart.query.DateRange;
import io.tidemark.mart.query.FunnelQueries;
import io.tidemark.mart.query.InvalidParameterException;
import io.tidemark.mart.query.LatenessQueries;
import io.tidemark.mart.query.MartQueries;
import io.tidemark.mart.query.RetentionQueries;
import io.tidemark.mart.query.RevisionQueries;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import java.util.Optional;

/** Dashboard metrics by UTC event day, served from the Parquet marts. */
@Path("/api/v1/metrics")
@Produces(MediaType.APPLICATION_JSON)
public class MetricsResource {

    private static final int DEFAULT_TOP_EVENTS = 10;
    private static final int DEFAULT_RETENTION_PERIODS = 7;
    private static final int DEFAULT_BREAKDOWN_VALUES = 10;
    private static final String BY_DESCRIPTION = "Split by the value at a path: `type`, `event`, or `properties`, "
            + "`context` or `traits` followed by 1 to 5 dot-separated keys of 1 to 64 characters A-Z a-z 0-9 _ $ - "
            + "(properties.plan, context.os.name). Anything else is a 400 naming `by`.";
    private static final String VALUES_DESCRIPTION = "With `by`: how many values to name, 1 to max-breakdown-values "
            + "(50); default 10";

    private final MartQueries queries;
    private final LatenessQueries lateness;
    private final RevisionQueries revisions;
    private final RetentionQueries retention;
    private final FunnelQueries funnels;
    private final MartConfig config;

    public MetricsResource(MartQueries queries, LatenessQueries lateness, RevisionQueries revisions,
            RetentionQueries retention, FunnelQueries funnels, MartConfig config) {
        this.funnels = funnels;
        this.queries = queries;
        this.lateness = lateness;
        this.revisions = revisions;
        this.retention = retention;
        this.config = config;
    }

    /** Events and distinct users for every day in [from, to], days without events as zeros. */
    @GET
    @Path("/daily")
    @Operation(summary = "Events and distinct users per UTC day, optionally split by a property or context path",
            description = "Every day of [from, to], days without events as zeros; users are distinct userIds, else "
                    + "anonymousIds. With `event`, only that event's rows. `revised` marks a day whose numbers differ "
                    + "from its first export. With `by`, each day has a `breakdown`: the range's `values` most frequent "
                    + "values of the path (by events, ties by value; the same values in the same order every day, "
                    + "zeros included), `other` (every other value) and `missing` (no value: the key or the JSON is "
                    + "absent, or the value is JSON null). Values are text: numbers and booleans as JSON writes them, "
                    + "objects and arrays as their JSON text. Bucket events add up to the day's events; users are "
                    + "distinct per bucket.")
    @APIResponse(responseCode = "200", description = "The days of [from, to]")
    @APIResponse(responseCode = "400", description = "A missing or malformed parameter; the problem's field names it")
    public Uni<DailyMetrics> daily(@Parameter(description = "A source id the token reads") @QueryParam("source") String source,
            @Parameter(description = "First UTC day, YYYY-MM-DD") @QueryParam("from") String from,
            @Parameter(description = "Last UTC day, YYYY-MM-DD; from through to, both included, spans at most max-range-days days") @QueryParam("to") String to,
            @Parameter(description = "Only this event's rows") @QueryParam("event") String event,
            @Parameter(description = BY_DESCRIPTION) @QueryParam("by") String by,
            @Parameter(description = VALUES_DESCRIPTION) @QueryParam("values") String values) {
        requireSource(source);
        DateRange range = DateRange.parse(from, to, config.maxRangeDays());
        Optional<BreakdownPath> path = breakdown(by);
        return queries.daily(source, range, Optional.ofNullable(event).filter(e -> !e.isBlank()), path,
                breakdownValues(path, values));
    }

    /** Distinct users of the day, the 7 days and the 30 days ending on {@code date}. */
    @GET
    @Path("/active-users")
    public Uni<ActiveUsers> activeUsers(@QueryParam("source") String source, @QueryParam("date") String date) {
        requireSource(source);
        return queries.activeUsers(source, DateRange.day("date", date));
    }

    /** The most frequent events of [from, to] with their distinct users. */
    @GET
    @Path("/top-events")
    @Operation(summary = "The most frequent events of a date range, optionally each split by a property or context path",
            description = "Events of [from, to] by count, ties by name, with their distinct users. With `by`, each "
                    + "event has a `breakdown`: its own `values` most frequent values of the path (by events, ties by "
                    + "value), `other` and `missing`, as in the daily API.")
    @APIResponse(responseCode = "200", description = "At most `limit` events, most frequent first")
    @APIResponse(responseCode = "400", description = "A missing or malformed parameter; the problem's field names it")
    public Uni<TopEvents> topEvents(@Parameter(description = "A source id the token reads") @QueryParam("source") String source,
            @Parameter(description = "First UTC day, YYYY-MM-DD") @QueryParam("from") String from,
            @Parameter(description = "Last UTC day, YYYY-MM-DD; from through to, both included, spans at most max-range-days days") @QueryParam("to") String to,
            @Parameter(description = "How many events, 1 to max-top-events (100); default 10") @QueryParam("limit") String limit,
            @Parameter(description = BY_DESCRIPTION) @QueryParam("by") String by,
            @Parameter(description = VALUES_DESCRIPTION) @QueryParam("values") String values) {
        requireSource(source);
        DateRange range = DateRange.parse(from, to, config.maxRangeDays());
        Optional<BreakdownPath> path = breakdown(by);
        return queries.topEvents(source, range, limit(limit), path, breakdownValues(path, values));
    }

    /** Events of each day of [from, to] by arrival delay, and whether the day is final. */
    @GET
    @Path("/lateness")
    @Operation(summary = "Arrival delays per event day, and which days are final",
            description = "For each UTC event day of [from, to]: its events by arrival delay (receivedAt minus event "
                    + "time) up to 1 hour, 1, 3, 7 and 30 days, and later, each bucket excluding the earlier ones; "
                    + "`unknown` events have no receivedAt. For the source: the delays within which 99 % and 99.9 % "
                    + "of the events of its latest complete exported days (tidemark.mart.lateness.window-days, 30) "
                    + "arrived, rounded up to the grid of the lateness rollups (a minute up to 1 h, 15 minutes up to "
                    + "1 d, an hour up to 30 d, a day beyond). A day is `final` once exportedThrough is later than "
                    + "the end of the day plus the p99.9 delay (finalAfterSeconds; without any measured event, "
                    + "tidemark.mart.lateness.fallback-final-after, 7 days), `provisional` before; finalAt says when.")
    @APIResponse(responseCode = "200", description = "The days of [from, to], days without events as zeros")
    @APIResponse(responseCode = "400", description = "A missing or malformed parameter; the problem's field names it")
    public Uni<Lateness> lateness(@Parameter(description = "A source id the token reads") @QueryParam("source") String source,
            @Parameter(description = "First UTC day, YYYY-MM-DD") @QueryParam("from") String from,
            @Parameter(description = "Last UTC day, YYYY-MM-DD; from through to, both included, spans at most max-range-days days") @QueryParam("to") String to) {
        requireSource(source);
        return lateness.lateness(source, DateRange.parse(from, to, config.maxRangeDays()));
    }

    /** What a day was first reported as, each export since, and what is served now. */
    @GET
    @Path("/revisions")
    @Operation(summary = "The revisions of one day's numbers",
            description = "Every export of the (source, UTC day) records its events, distinct users and time. "
                    + "`firstReported` is the first export (null if the day was never exported since revisions "
                    + "are recorded), `revisions` every export in order with its change from the one before, "
                    + "`now` what the daily API serves and whether events stored since wait for the next export "
                    + "(`pendingChanges`). The daily API marks a day `revised` when its numbers differ from "
                    + "`firstReported`.")
    @APIResponse(responseCode = "200", description = "The day's history, empty when never exported")
    @APIResponse(responseCode = "400", description = "A missing or malformed parameter; the problem's field names it")
    public Uni<Revisions> revisions(@Parameter(description = "A source id the token reads") @QueryParam("source") String source,
            @Parameter(description = "The UTC day, YYYY-MM-DD") @QueryParam("date") String date) {
        requireSource(source);
        return revisions.revisions(source, DateRange.day("date", date));
    }

    /** Cohorts by first-seen period, and the share of each active k periods later. */
    @GET
    @Path("/retention")
    @Operation(summary = "Cohort retention by day or ISO week",
            description = "A user is its userId, else its anonymousId (as the mart's 64-bit user key). Its first-seen "
                    + "day is the earliest UTC day, from `firstSeenSince` (the first cohort's start minus "
                    + "tidemark.mart.retention.lookback-days, 90) on, on which it had any event; with `event`, on which "
                    + "it did that event. Activity before `firstSeenSince` is not read, so a user last seen earlier "
                    + "counts as new. A cohort is the users whose first-seen day falls in one period (UTC day, or "
                    + "ISO week Monday to Sunday); the cohorts are the periods containing `from` through `to`. "
                    + "`active[k]` counts the cohort's users with any event in the k-th period after the cohort's "
                    + "(k = 0 is the cohort's own, so `active[0]` = `users`), `share[k]` = active[k] / users; "
                    + "both are null for a period that has not begun (UTC today). Read from the per-day user rollups.")
    @APIResponse(responseCode = "200", description = "One row per cohort period, empty cohorts as zeros")
    @APIResponse(responseCode = "400", description = "A missing or malformed parameter; the problem's field names it")
    public Uni<Retention> retention(@Parameter(description = "A source id the token reads") @QueryParam("source") String source,
            @Parameter(description = "A UTC day in the first cohort period, YYYY-MM-DD") @QueryParam("from") String from,
            @Parameter(description = "A UTC day in the last cohort period, YYYY-MM-DD") @QueryParam("to") String to,
            @Parameter(description = "day (default) or week") @QueryParam("period") String period,
            @Parameter(description = "Periods after the cohort's to follow, 1 to retention.max-periods (60); default 7")
            @QueryParam("periods") String periods,
            @Parameter(description = "Cohort event: users enter a cohort when they first do it") @QueryParam("event") String event) {
        requireSource(source);
        DateRange range = DateRange.parse(from, to, config.maxRangeDays());
        return retention.retention(source, range, RetentionQueries.Period.parse(period),
                whole("periods", periods, DEFAULT_RETENTION_PERIODS, 1, retention.maxPeriods()),
                Optional.ofNullable(event).filter(e -> !e.isBlank()));
    }

    /** Users through ordered steps within a window, with conversion and median time per step. */
    @GET
    @Path("/funnel")
    @Operation(summary = "An ordered funnel of events",
            description = "Per user (userId, else anonymousId): step 1 is its first `steps[0]` event in [from, to] "
                    + "(UTC days); each next step is its first event of that name strictly after the previous "
                    + "step's and no later than `within` after step 1, which may run past `to`. A user counts for "
                    + "every step it reached. `conversionFromPrevious` and `conversionFromStart` are shares of the "
                    + "previous and the first step's users; `medianSecondsFromPrevious` is over the users who "
                    + "reached the step. The first step event is the user's first in the range, not the one that "
                    + "would convert best.")
    @APIResponse(responseCode = "200", description = "One row per step")
    @APIResponse(responseCode = "400", description = "A missing or malformed parameter; the problem's field names it")
    public Uni<Funnel> funnel(@Parameter(description = "A source id the token reads") @QueryParam("source") String source,
            @Parameter(description = "First UTC day of step 1, YYYY-MM-DD") @QueryParam("from") String from,
            @Parameter(description = "Last UTC day of step 1, YYYY-MM-DD") @QueryParam("to") String to,
            @Parameter(description = "2 to funnel.max-steps (10) event names, comma-separated, in order") @QueryParam("steps") String steps,
            @Parameter(description = "Window from step 1: 30m, 12h, 1d; at most funnel.max-within (30d); default 1d")
            @QueryParam("within") String within) {
        requireSource(source);
        DateRange range = DateRange.parse(from, to, config.maxRangeDays());
        return funnels.funnel(source, range, funnels.steps(steps),
                funnels.within(within == null || within.isBlank() ? "1d" : within));
    }

    /** Absent or empty: no breakdown; anything else must match the grammar. */
    private static Optional<BreakdownPath> breakdown(String by) {
        return by == null || by.isEmpty() ? Optional.empty() : Optional.of(BreakdownPath.parse(by));
    }

    private int breakdownValues(Optional<BreakdownPath> by, String values) {
        int number = whole("values", values, DEFAULT_BREAKDOWN_VALUES, 1, config.maxBreakdownValues());
        return by.isPresent() ? number : 0;
    }

    private static int whole(String name, String value, int absent, int min, int max) {
        if (value == null || value.isBlank()) {
            return absent;
        }
        try {
            int number = Integer.parseInt(value);
            if (number >= min && number <= max) {
                return number;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidParameterException(name, "must be a whole number from " + min + " to " + max);
    }

    private int limit(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_TOP_EVENTS;
        }
        try {
            int limit = Integer.parseInt(value);
            if (limit >= 1 && limit <= config.maxTopEvents()) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidParameterException("limit", "must be a whole number from 1 to " + config.maxTopEvents());
    }

    static void requireSource(String source) {
        if (!SourceId.isValid(source)) {
            throw new InvalidParameterException("source", "is required: a source id such as 'dev'");
        }
    }
}
