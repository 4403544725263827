package io.tidemark.ingest.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.tidemark.ingest.service.IngestMetrics;
import io.tidemark.ingest.service.WriteKeyAuthenticator;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Refuses a collection call whose HTTP Basic write key is unknown before a byte of its body is read:
 * write keys are public, so anyone may send 500 KB with a made-up key, and it should cost ingest no
 * buffer and no parse. A call with its write key in the body is authenticated once the body is read,
 * still before it is parsed into events (RequestAdmission).
 */
@ApplicationScoped
public class WriteKeyGuard {

    /**
     * Before {@link RequestReadDeadline} (a refused call needs no deadline), {@link OversizeBodyGuard},
     * the import route and Quarkus's upload limit and body handler.
     */
    private static final int ORDER = RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT - 4;

    private final WriteKeyAuthenticator authenticator;
    private final IngestMetrics metrics;
    private final String problem;

    public WriteKeyGuard(WriteKeyAuthenticator authenticator, IngestMetrics metrics, ObjectMapper json)
            throws JsonProcessingException {
        this.authenticator = authenticator;
        this.metrics = metrics;
        this.problem = json.writeValueAsString(new ProblemException(401, "unauthorized", "Unauthorized",
                "a known write key is required (HTTP Basic user name, or writeKey in the body)", "writeKey").problem());
    }

    void install(@Observes Router router) {
        router.post("/v1/*").order(ORDER).handler(this::check);
    }

    private void check(RoutingContext context) {
        String authorization = context.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (authenticator.carriesWriteKey(authorization) && authenticator.source(authorization, null).isEmpty()) {
            metrics.rejected(IngestMetrics.UNKNOWN_SOURCE, "unauthorized", 1);
            context.response().setStatusCode(401)
                    .putHeader(HttpHeaders.CONTENT_TYPE, ProblemMapper.PROBLEM_JSON)
                    // The body is not read: the connection cannot carry another request after it.
                    .putHeader(HttpHeaders.CONNECTION, "close")
                    .end(problem);
            return;
        }
        context.next();
    }
}
