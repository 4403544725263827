package io.tidemark.ingest.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.tidemark.ingest.config.IngestConfig;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Answers 408 and closes the connection when a request's body has not arrived whole within
 * {@code tidemark.ingest.request-read-timeout} of its headers. Vert.x cuts only idle connections, and
 * Quarkus's {@code quarkus.http.read-timeout} applies only to blocking reads, which no endpoint here
 * makes: a body dripped in a byte at a time would otherwise hold its connection and buffer for ever.
 */
@ApplicationScoped
public class RequestReadDeadline {

    /** Ahead of every route that reads a body, bulk import included (which it leaves to its own limits). */
    private static final int ORDER = RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT - 3;

    private final long timeoutMillis;
    private final String problem;

    public RequestReadDeadline(IngestConfig config, ObjectMapper json) throws JsonProcessingException {
        this.timeoutMillis = config.requestReadTimeout().toMillis();
        this.problem = json.writeValueAsString(new ProblemException(408, "request-timeout", "Request Timeout",
                "the request body did not arrive within " + config.requestReadTimeout().toSeconds() + " s", "body")
                .problem());
    }

    void install(@Observes Router router) {
        router.route().order(ORDER).handler(this::arm);
    }

    private void arm(RoutingContext context) {
        HttpServerRequest request = context.request();
        if (!request.isEnded() && !ImportRoute.PATH.equals(request.path())) {
            long timer = context.vertx().setTimer(timeoutMillis, fired -> cut(context));
            // Cancelled when the answer is sent, not when the body ends: the request's one end handler
            // belongs to whoever reads the body.
            context.addEndHandler(answered -> context.vertx().cancelTimer(timer));
        }
        context.next();
    }

    private void cut(RoutingContext context) {
        HttpServerRequest request = context.request();
        if (request.isEnded()) {
            return;
        }
        if (context.response().headWritten()) {
            request.connection().close();
            return;
        }
        context.response().setStatusCode(408)
                .putHeader(HttpHeaders.CONTENT_TYPE, ProblemMapper.PROBLEM_JSON)
                .putHeader(HttpHeaders.CONNECTION, "close")
                .end(problem)
                // The rest of the body is never read: the connection cannot carry another request.
                .onComplete(written -> request.connection().close());
    }
}
