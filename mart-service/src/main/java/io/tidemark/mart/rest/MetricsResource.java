package io.tidemark.mart.rest;

import io.smallrye.mutiny.Uni;
import io.tidemark.event.SourceId;
import io.tidemark.mart.config.MartConfig;
import io.tidemark.mart.model.ActiveUsers;
import io.tidemark.mart.model.DailyMetrics;
import io.tidemark.mart.model.TopEvents;
import io.tidemark.mart.query.DateRange;
import io.tidemark.mart.query.InvalidParameterException;
import io.tidemark.mart.query.MartQueries;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.util.Optional;

/** Dashboard metrics by UTC event day, served from the Parquet marts. */
@Path("/api/v1/metrics")
@Produces(MediaType.APPLICATION_JSON)
public class MetricsResource {

    private static final int DEFAULT_TOP_EVENTS = 10;

    private final MartQueries queries;
    private final MartConfig config;

    public MetricsResource(MartQueries queries, MartConfig config) {
        this.queries = queries;
        this.config = config;
    }

    /** Events and distinct users for every day in [from, to], days without events as zeros. */
    @GET
    @Path("/daily")
    public Uni<DailyMetrics> daily(@QueryParam("source") String source, @QueryParam("from") String from,
            @QueryParam("to") String to, @QueryParam("event") String event) {
        requireSource(source);
        DateRange range = DateRange.parse(from, to, config.maxRangeDays());
        return queries.daily(source, range, Optional.ofNullable(event).filter(e -> !e.isBlank()));
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
    public Uni<TopEvents> topEvents(@QueryParam("source") String source, @QueryParam("from") String from,
            @QueryParam("to") String to, @QueryParam("limit") String limit) {
        requireSource(source);
        DateRange range = DateRange.parse(from, to, config.maxRangeDays());
        return queries.topEvents(source, range, limit(limit));
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
