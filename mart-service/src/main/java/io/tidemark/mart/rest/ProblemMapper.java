package io.tidemark.mart.rest;

import io.tidemark.mart.config.MartConfig;
import io.tidemark.mart.export.ExportRunningException;
import io.tidemark.mart.export.ExportStoppingException;
import io.tidemark.mart.model.Problem;
import io.tidemark.mart.query.InvalidParameterException;
import io.tidemark.mart.query.QueryRefusedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.time.Duration;

/** Turns every failure into an {@code application/problem+json} answer without a stack trace. */
public class ProblemMapper {

    static final String PROBLEM_JSON = "application/problem+json";
    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);

    private final Duration exportRetryAfter;
    private final Duration queryRetryAfter;

    public ProblemMapper(MartConfig config) {
        this.exportRetryAfter = config.export().busyRetryAfter();
        this.queryRetryAfter = config.duckdb().busyRetryAfter();
    }

    @ServerExceptionMapper
    public Response invalidParameter(InvalidParameterException e) {
        return Response.status(400).type(PROBLEM_JSON).entity(new Problem("urn:tidemark:problem:invalid-parameter",
                "Invalid parameter", 400, e.getMessage(), e.parameter())).build();
    }

    @ServerExceptionMapper
    public Response exportRunning(ExportRunningException e) {
        return retryLater(429, exportRetryAfter, "urn:tidemark:problem:export-running", "Export running", e);
    }

    @ServerExceptionMapper
    public Response exportStopping(ExportStoppingException e) {
        return retryLater(503, exportRetryAfter, "urn:tidemark:problem:stopping", "Service stopping", e);
    }

    @ServerExceptionMapper
    public Response queryRefused(QueryRefusedException e) {
        return retryLater(503, queryRetryAfter, "urn:tidemark:problem:query-refused", "Query refused", e);
    }

    private static Response retryLater(int status, Duration retryAfter, String type, String title, RuntimeException e) {
        return Response.status(status).type(PROBLEM_JSON)
                .header(HttpHeaders.RETRY_AFTER, Long.toString(retryAfter.toSeconds()))
                .entity(new Problem(type, title, status, e.getMessage(), null)).build();
    }

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        return Response.status(status).type(PROBLEM_JSON).entity(new Problem("about:blank",
                e.getResponse().getStatusInfo().getReasonPhrase(), status, e.getMessage(), null)).build();
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        LOG.error("unexpected failure while answering a query", e);
        return Response.status(500).type(PROBLEM_JSON).entity(new Problem("about:blank", "Internal Server Error", 500,
                "the query could not be answered", null)).build();
    }
}
