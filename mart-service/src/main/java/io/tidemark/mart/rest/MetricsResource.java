package io.tidemark.mart.rest;

import io.smallrye.mutiny.Uni;
import io.tidemark.event.SourceId;
import io.tidemark.mart.config.MartConfig;
import io.tidemark.mart.model.DailyMetrics;
import io.tidemark.mart.query.DailyMetricsQuery;
import io.tidemark.mart.query.DateRange;
import io.tidemark.mart.query.InvalidParameterException;
import io.tidemark.mart.query.UnknownSourceException;
import io.tidemark.mart.repository.EventIndexReader;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

/** Dashboard metrics by UTC event day. */
@Path("/api/v1/metrics")
@Produces(MediaType.APPLICATION_JSON)
public class MetricsResource {

    private final DailyMetricsQuery daily;
    private final EventIndexReader reader;
    private final MartConfig config;

    public MetricsResource(DailyMetricsQuery daily, EventIndexReader reader, MartConfig config) {
        this.daily = daily;
        this.reader = reader;
        this.config = config;
    }

    /** Events and distinct users for every day in [from, to], days without events as zeros. */
    @GET
    @Path("/daily")
    public Uni<DailyMetrics> daily(@QueryParam("source") String source, @QueryParam("from") String from,
            @QueryParam("to") String to) {
        if (!SourceId.isValid(source)) {
            throw new InvalidParameterException("source", "is required: a source id such as 'dev'");
        }
        DateRange range = DateRange.parse(from, to, config.maxRangeDays());
        return reader.sourceExists(source).flatMap(exists -> {
            if (!exists) {
                return Uni.createFrom().failure(new UnknownSourceException(source));
            }
            return daily.daily(source, range.from(), range.to());
        });
    }
}
