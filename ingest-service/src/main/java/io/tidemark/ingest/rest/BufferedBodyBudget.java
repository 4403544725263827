package io.tidemark.ingest.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.tidemark.ingest.config.IngestConfig;
import io.tidemark.ingest.service.IngestMetrics;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the request bodies buffered at once across all connections. Every collection call's body is
 * read whole before it is parsed, so each connection may hold up to a full body for as long as the
 * read deadline allows; a few hundred connections that send all but the last byte would otherwise
 * fill the heap and end the process for every client. A request reserves its declared length (a
 * chunked one, the most the server would buffer) before a byte of its body is read, and gives it
 * back when its answer is sent or its connection goes. Beyond the budget it is answered 503 with
 * Retry-After, which every SDK retries, and its body is never read.
 */
@ApplicationScoped
public class BufferedBodyBudget {

    /** After the write key, deadline and size checks (a refused request reserves nothing), before the body is read. */
    private static final int ORDER = RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT + 1;
    private static final String RETRY_AFTER_SECONDS = "1";

    private final AtomicLong reserved = new AtomicLong();
    private final long maxBytes;
    private final long chunkedReservation;
    private final IngestMetrics metrics;
    private final String problem;

    public BufferedBodyBudget(IngestConfig config, IngestMetrics metrics, ObjectMapper json,
            @ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize serverBodyLimit)
            throws JsonProcessingException {
        this.maxBytes = config.maxBufferedRequestBytes().asLongValue();
        this.chunkedReservation = serverBodyLimit.asLongValue();
        this.metrics = metrics;
        this.problem = json.writeValueAsString(new ProblemException(503, "ingest-busy", "Service Unavailable",
                "ingest holds as many request bodies as it can buffer; retry in " + RETRY_AFTER_SECONDS + " s", "body")
                .problem());
    }

    void install(@Observes Router router) {
        router.post().order(ORDER).handler(this::reserve);
    }

    private void reserve(RoutingContext context) {
        HttpServerRequest request = context.request();
        if (request.isEnded() || ImportRoute.PATH.equals(request.path())) {
            context.next();
            return;
        }
        long declared = OversizeBodyGuard.declaredLength(request);
        long claim = declared >= 0 ? declared : chunkedReservation;
        if (reserved.addAndGet(claim) > maxBytes) {
            reserved.addAndGet(-claim);
            refuse(context);
            return;
        }
        // Called once: when the answer is sent, or when the client goes before it.
        context.addEndHandler(ended -> reserved.addAndGet(-claim));
        context.next();
    }

    private void refuse(RoutingContext context) {
        metrics.rejected(IngestMetrics.UNKNOWN_SOURCE, "unavailable", 1);
        context.response().setStatusCode(503)
                .putHeader(HttpHeaders.CONTENT_TYPE, ProblemMapper.PROBLEM_JSON)
                .putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS)
                // The body is not read: the connection cannot carry another request after it.
                .putHeader(HttpHeaders.CONNECTION, "close")
                .end(problem);
    }
}
