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
import org.jboss.resteasy.reactive.server.vertx.VertxInputStream;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the request bodies buffered at once across all connections. Every collection call's body is
 * read whole before it is parsed, so each connection may hold up to a full body for as long as the
 * read deadline allows; a few hundred connections that send all but the last byte would otherwise
 * fill the heap and end the process for every client. A request reserves its declared length (a
 * chunked one, the most the server would buffer) before a byte of its body is read, and gives it
 * back when its answer is sent or its connection goes. Beyond the budget it is answered 503 with
 * Retry-After, which every SDK retries, and its body is never read.
 *
 * <p>A chunked body is what analytics-kotlin sends for every upload, whatever its size. Quarkus REST
 * would buffer one up to {@code quarkus.http.limits.max-body-size} (2 MB), so each reserved that much
 * and eight Android uploads at once took the whole budget: every other call then got 503. A chunked
 * body is now cut off (413) once it is longer than any body ingest accepts ({@link
 * OversizeBodyGuard#maxWireBytes}): it is gathered on the event loop up to {@code
 * quarkus.rest.input-buffer-size} and then read by a stream that checks the bytes received against
 * the request's own limit. It reserves that buffer and one more read of the socket.
 */
@ApplicationScoped
public class BufferedBodyBudget {

    /** After the write key, deadline and size checks (a refused request reserves nothing), before the body is read. */
    private static final int ORDER = RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT + 1;
    private static final String RETRY_AFTER_SECONDS = "1";
    /** More than one read of the socket delivers: what may arrive before the gathered body is handed on. */
    private static final long ONE_READ = 64 * 1024;

    private final AtomicLong reserved = new AtomicLong();
    private final long maxBytes;
    private final long chunkedReservation;
    private final long chunkedLimit;
    private final IngestMetrics metrics;
    private final String problem;

    public BufferedBodyBudget(IngestConfig config, IngestMetrics metrics, ObjectMapper json,
            @ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize serverBodyLimit,
            @ConfigProperty(name = "quarkus.rest.input-buffer-size") MemorySize gatheredOnEventLoop)
            throws JsonProcessingException {
        this.maxBytes = config.maxBufferedRequestBytes().asLongValue();
        this.chunkedLimit = Math.min(OversizeBodyGuard.maxWireBytes(config), serverBodyLimit.asLongValue());
        this.chunkedReservation = Math.min(serverBodyLimit.asLongValue(),
                Math.max(chunkedLimit, gatheredOnEventLoop.asLongValue()) + ONE_READ);
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
        if (declared < 0) {
            // Quarkus's upload-limit route, just before this one, put max-body-size here; the body stream cuts a
            // chunked body off at this value, so it may read no more than it reserved.
            context.put(VertxInputStream.MAX_REQUEST_SIZE_KEY, chunkedLimit);
        }
        // Given back once: when the answer is sent, or when the client goes before it. The body reader
        // that cuts off a long chunked body ends the answer itself and takes the response's end handler,
        // through which the routing context's end handlers run; the body-end handler still runs then.
        AtomicBoolean held = new AtomicBoolean(true);
        Runnable giveBack = () -> {
            if (held.compareAndSet(true, false)) {
                reserved.addAndGet(-claim);
            }
        };
        context.addEndHandler(ended -> giveBack.run());
        context.addBodyEndHandler(ended -> giveBack.run());
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
