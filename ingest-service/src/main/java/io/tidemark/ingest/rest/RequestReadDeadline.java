package io.tidemark.ingest.rest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.tidemark.ingest.config.IngestConfig;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * Closes the connection, unanswered, when a request's body has not arrived whole within
 * {@code tidemark.ingest.request-read-timeout} of its headers. Vert.x cuts only idle connections, and
 * Quarkus's {@code quarkus.http.read-timeout} applies only to blocking reads, which no endpoint here
 * makes: a body dripped in a byte at a time would otherwise hold its connection and buffer for ever.
 *
 * <p>Unanswered, not 408: analytics-java (after OkHttp's one repeat of a 408) and analytics-kotlin give up on a
 * batch answered with any 4xx but 429, while every SDK keeps a batch for another try after an I/O error
 * (analytics-next 1.84.3 also retries a 408). A body this slow is a slow network far more often than a bad
 * client, and its events are the client's to send again. A bulk import keeps its own deadline and answer (it
 * names where to resume).
 */
@ApplicationScoped
public class RequestReadDeadline {

    private static final Logger LOG = Logger.getLogger(RequestReadDeadline.class);
    /** Ahead of every route that reads a body, bulk import included (which it leaves to its own limits). */
    private static final int ORDER = RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT - 3;

    private final long timeoutMillis;
    private final Counter cut;

    public RequestReadDeadline(IngestConfig config, MeterRegistry metrics) {
        this.timeoutMillis = config.requestReadTimeout().toMillis();
        this.cut = Counter.builder("tidemark.ingest.requests.cut")
                .description("Requests whose body did not arrive within tidemark.ingest.request-read-timeout; "
                        + "their connection was closed unanswered, for the client to send them again")
                .tag("reason", "body-too-slow")
                .register(metrics);
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
        cut.increment();
        LOG.debugf("%s %s from %s: body not whole within %d ms; connection closed unanswered", request.method(),
                request.path(), request.remoteAddress(), timeoutMillis);
        request.connection().close();
    }
}
