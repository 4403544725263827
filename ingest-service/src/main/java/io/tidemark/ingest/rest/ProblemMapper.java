package io.tidemark.ingest.rest;

import io.tidemark.ingest.model.Problem;
import io.tidemark.ingest.config.IngestConfig;
import io.tidemark.ingest.service.rejection.EventNotStoredException;
import io.tidemark.ingest.service.rejection.EventTooLargeException;
import io.tidemark.ingest.service.rejection.InvalidEventException;
import io.tidemark.ingest.service.rejection.MalformedRequestException;
import io.tidemark.ingest.service.rejection.RateLimitExceededException;
import io.tidemark.ingest.service.rejection.UnknownWriteKeyException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Turns every failure into an {@code application/problem+json} answer without a stack trace. */
public class ProblemMapper {

    static final String PROBLEM_JSON = "application/problem+json";
    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);

    private final IngestConfig config;

    public ProblemMapper(IngestConfig config) {
        this.config = config;
    }

    @ServerExceptionMapper
    public Response problem(ProblemException e) {
        Response.ResponseBuilder response = Response.status(e.problem().status()).type(PROBLEM_JSON).entity(e.problem());
        if (e.retryAfterSeconds() != null) {
            response.header(HttpHeaders.RETRY_AFTER, e.retryAfterSeconds());
        }
        return response.build();
    }

    @ServerExceptionMapper
    public Response invalidEvent(InvalidEventException e) {
        return problem(new ProblemException(400, "invalid-field", "Invalid event", e.getMessage(), e.field()));
    }

    @ServerExceptionMapper
    public Response tooLarge(EventTooLargeException e) {
        return problem(new ProblemException(413, "event-too-large", "Event too large", e.getMessage(), e.field()));
    }

    @ServerExceptionMapper
    public Response malformed(MalformedRequestException e) {
        return problem(new ProblemException(400, "malformed-json", "Malformed JSON", e.getMessage(), e.field()));
    }

    @ServerExceptionMapper
    public Response rateLimited(RateLimitExceededException e) {
        return problem(new ProblemException(429, "rate-limited", "Too Many Requests", e.getMessage(), null,
                (int) Math.min(Integer.MAX_VALUE, e.retryAfterSeconds())));
    }

    @ServerExceptionMapper
    public Response unknownWriteKey(UnknownWriteKeyException e) {
        return problem(new ProblemException(401, "unauthorized", "Unauthorized", e.getMessage(), "writeKey"));
    }

    @ServerExceptionMapper
    public Response notStored(EventNotStoredException e) {
        return problem(new ProblemException(503, "kafka-unavailable", "Service Unavailable", e.getMessage(), null,
                config.retryAfterSeconds()));
    }

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String title = e.getResponse().getStatusInfo().getReasonPhrase();
        return Response.status(status).type(PROBLEM_JSON)
                .entity(new Problem("about:blank", title, status, e.getMessage(), null)).build();
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        LOG.error("unexpected failure while handling a request", e);
        return Response.status(500).type(PROBLEM_JSON)
                .entity(new Problem("about:blank", "Internal Server Error", 500, "the request could not be handled", null))
                .build();
    }
}
