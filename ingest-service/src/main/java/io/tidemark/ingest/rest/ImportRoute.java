package io.tidemark.ingest.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.tidemark.ingest.config.IngestConfig;
import io.tidemark.ingest.model.ImportSummary;
import io.tidemark.ingest.model.Problem;
import io.tidemark.ingest.service.EventImporter;
import io.tidemark.ingest.service.rejection.ImportCutShortException;
import io.tidemark.ingest.service.rejection.ImportStoppedException;
import io.tidemark.ingest.service.WriteKeyAuthenticator;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * {@code POST /bulk/v1/import}: bulk import of a newline-delimited JSON file (optionally gzip), streamed.
 * It is a Vert.x route ahead of Quarkus's body limit rather than a REST resource, because a resource
 * gets its body only once it is buffered whole, and an import may be far larger than any request.
 * The work runs on a worker thread, which blocks on the stream on purpose; the event loop never does.
 */
@ApplicationScoped
public class ImportRoute {

    static final String PATH = "/bulk/v1/import";
    private static final Logger LOG = Logger.getLogger(ImportRoute.class);
    /** Before {@link OversizeBodyGuard} and Quarkus's upload limit, neither of which fits a stream. */
    private static final int ORDER = RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT - 2;

    private final WriteKeyAuthenticator authenticator;
    private final EventImporter importer;
    private final IngestConfig config;
    private final ObjectMapper json;
    private final ImportSlots slots;

    public ImportRoute(WriteKeyAuthenticator authenticator, EventImporter importer, IngestConfig config, ObjectMapper json) {
        this.authenticator = authenticator;
        this.importer = importer;
        this.config = config;
        this.json = json;
        this.slots = new ImportSlots(config.importing().maxConcurrent(), config.importing().maxConcurrentPerSource());
    }

    void install(@Observes Router router) {
        router.post(PATH).order(ORDER).handler(this::accept);
    }

    private void accept(RoutingContext context) {
        HttpServerRequest request = context.request();
        String source = authenticator.source(request.getHeader(HttpHeaders.AUTHORIZATION), null).orElse(null);
        if (source == null) {
            refuse(context, 401, "unauthorized", "Unauthorized", "a known write key is required as the HTTP Basic user name",
                    "writeKey", null);
            return;
        }
        boolean gzip;
        try {
            gzip = RequestBodyDecoder.gzipped(request.getHeader(HttpHeaders.CONTENT_ENCODING));
        } catch (ProblemException unsupported) {
            Problem problem = unsupported.problem();
            refuse(context, problem.status(), "unsupported-encoding", problem.title(), problem.detail(), problem.field(), null);
            return;
        }
        long maxBytes = config.importing().maxBytes().asLongValue();
        if (OversizeBodyGuard.declaredLength(request) > maxBytes) {
            refuse(context, 413, "import-too-large", "Import too large",
                    "an import body may have at most " + maxBytes + " bytes; split the file", "body", null);
            return;
        }
        ImportSlots.Outcome slot = slots.take(source);
        if (slot == ImportSlots.Outcome.SOURCE_BUSY) {
            refuse(context, 429, "imports-busy", "Too Many Requests", "source " + source + " already runs "
                    + config.importing().maxConcurrentPerSource() + " imports (tidemark.ingest.import.max-concurrent-per-source);"
                    + " retry later", null, config.retryAfterSeconds());
            return;
        }
        if (slot == ImportSlots.Outcome.ALL_BUSY) {
            refuse(context, 429, "imports-busy", "Too Many Requests", config.importing().maxConcurrent()
                    + " imports are running; retry later", null, config.retryAfterSeconds());
            return;
        }
        RequestBodyStream body = new RequestBodyStream(request, context.vertx().getOrCreateContext(), maxBytes,
                config.importing().idleTimeout(), config.importing().maxDuration());
        if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
            request.response().writeContinue();
        }
        Infrastructure.getDefaultWorkerPool().execute(() -> {
            try {
                run(context, source, gzip, body);
            } finally {
                slots.release(source);
            }
        });
    }

    /** On a worker thread: streams the body through the importer and answers. */
    private void run(RoutingContext context, String source, boolean gzip, RequestBodyStream body) {
        long maxDecompressed = config.importing().maxDecompressedBytes().asLongValue();
        try (InputStream in = gzip
                ? new DecompressedLimit(new GZIPInputStream(body, 64 * 1024), maxDecompressed) : body) {
            ImportSummary summary = importer.importLines(source, in);
            LOG.infof("source=%s import of %d lines: %d accepted, %d rejected", source, summary.lines(),
                    summary.accepted(), summary.rejectedCount());
            context.response().setStatusCode(200).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end(json.writeValueAsString(summary));
        } catch (ImportStoppedException e) {
            LOG.warnf("source=%s import stopped: %s", source, e.getMessage());
            refuse(context, e.status(), e.status() == 429 ? "rate-limited" : "kafka-unavailable",
                    e.status() == 429 ? "Too Many Requests" : "Service Unavailable", e.getMessage(), null,
                    (int) Math.min(Integer.MAX_VALUE, e.retryAfterSeconds()));
        } catch (ImportCutShortException e) {
            cutShort(context, source, e);
        } catch (ZipException e) {
            // The gzip header, read before any line.
            refuse(context, 400, "malformed-body", "Malformed gzip body", "the body is declared gzip but could not be "
                    + "decompressed: " + e.getMessage() + "; no line was read", "body", null);
        } catch (IOException e) {
            refuse(context, 400, "upload-failed", "Upload failed", e.getMessage(), "body", null);
        } catch (RuntimeException e) {
            LOG.errorf(e, "source=%s import failed", source);
            refuse(context, 500, "internal", "Internal Server Error", "the import failed; see the service log", null, null);
        }
    }

    /**
     * The body broke off: the lines before the break are stored (the importer waited for Kafka), so the
     * answer names the line to send the rest from.
     */
    private void cutShort(RoutingContext context, String source, ImportCutShortException e) {
        LOG.warnf("source=%s import broke off at line %d: %s", source, e.firstUnreadLine(), e.getMessage());
        String rest = "; " + e.outcome() + "; send the rest from line " + e.firstUnreadLine();
        Throwable cause = e.getCause();
        if (cause instanceof RequestBodyStream.BodyTooLargeException || cause instanceof DecompressedLimit.TooLargeException) {
            refuse(context, 413, "import-too-large", "Import too large", cause.getMessage() + rest
                    + " in another file", "body", null);
        } else if (cause instanceof RequestBodyStream.DeadlinePassedException) {
            refuse(context, 408, "import-too-slow", "Request Timeout", cause.getMessage() + rest
                    + " in another request", "body", null);
        } else if (cause instanceof ZipException) {
            refuse(context, 400, "malformed-body", "Malformed gzip body", "the body is declared gzip but could not be "
                    + "decompressed: " + cause.getMessage() + rest, "body", null);
        } else {
            refuse(context, 400, "upload-failed", "Upload failed", cause.getMessage() + rest, "body", null);
        }
    }

    private void refuse(RoutingContext context, int status, String type, String title, String detail, String field,
            Integer retryAfterSeconds) {
        if (context.response().headWritten()) {
            context.response().close();
            return;
        }
        String body;
        try {
            // Through ProblemException, so the type is the same URN the REST endpoints answer with.
            body = json.writeValueAsString(new ProblemException(status, type, title, detail, field).problem());
        } catch (JsonProcessingException e) {
            body = "{\"status\":" + status + "}";
        }
        context.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, ProblemMapper.PROBLEM_JSON);
        if (retryAfterSeconds != null) {
            context.response().putHeader(HttpHeaders.RETRY_AFTER, Integer.toString(retryAfterSeconds));
        }
        if (!context.request().isEnded()) {
            // The rest of the body is not read. Vert.x would keep the connection open for it, so a
            // client still sending (a slow drip past the deadline) would hold it: close it once answered.
            context.response().putHeader(HttpHeaders.CONNECTION, "close");
            context.response().end(body).onComplete(written -> context.request().connection().close());
            return;
        }
        context.response().end(body);
    }
}
