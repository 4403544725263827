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
 * Refuses a body whose declared length cannot fit the request limit before any of it is buffered,
 * with a problem body. Without it, Vert.x answers a {@code Content-Length} over
 * {@code quarkus.http.limits.max-body-size} with a bare 413 a client cannot explain. (A chunked body
 * has no length to check here: one longer than {@link #maxWireBytes} is cut off by the body reader
 * with a bare 413, see {@link BufferedBodyBudget}.)
 */
@ApplicationScoped
public class OversizeBodyGuard {

    /** Just before Quarkus's own upload limit, which would answer without a body. */
    private static final int ORDER = RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT - 1;

    private final long maxWireBytes;
    private final String problem;

    public OversizeBodyGuard(IngestConfig config, ObjectMapper json) throws JsonProcessingException {
        this.maxWireBytes = maxWireBytes(config);
        this.problem = json.writeValueAsString(new ProblemException(413, "request-too-large", "Request too large",
                "the request body is larger than " + config.maxRequestBytes() + " bytes", "body").problem());
    }

    void install(@Observes Router router) {
        router.route().order(ORDER).handler(this::checkDeclaredLength);
    }

    private void checkDeclaredLength(RoutingContext context) {
        if (declaredLength(context.request()) > maxWireBytes) {
            refuse(context);
            return;
        }
        context.next();
    }

    private void refuse(RoutingContext context) {
        // The rest of the body is not read: the connection is closed after the answer.
        context.response().setStatusCode(413)
                .putHeader(HttpHeaders.CONTENT_TYPE, ProblemMapper.PROBLEM_JSON)
                .putHeader(HttpHeaders.CONNECTION, "close")
                .end(problem);
    }

    /**
     * The longest body on the wire that can still be within the decompressed limit: a gzip body
     * decompresses to at least its own size, less deflate's framing (well under 1%) and a header, so
     * anything longer is over the limit whatever its encoding.
     */
    static long maxWireBytes(IngestConfig config) {
        return config.maxRequestBytes() + config.maxRequestBytes() / 100 + 1024;
    }

    /** The request's {@code Content-Length}, or -1 when it has none (chunked) or a malformed one. */
    static long declaredLength(HttpServerRequest request) {
        String header = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (header == null) {
            return -1;
        }
        try {
            return Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            // A malformed length is the HTTP codec's to refuse, not a size.
            return -1;
        }
    }
}
