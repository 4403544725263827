package io.tidemark.ingest.service;

import com.fasterxml.jackson.databind.JsonNode;
import io.tidemark.ingest.config.IngestConfig;
import org.jboss.logging.Logger;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.function.Supplier;
import io.tidemark.ingest.service.rejection.EventTooLargeException;
import io.tidemark.ingest.service.rejection.MalformedRequestException;
import io.tidemark.ingest.service.rejection.RateLimitExceededException;
import io.tidemark.ingest.service.rejection.UnknownWriteKeyException;

/**
 * The first step of every call: who sends it, whether its body can be read, whether it may be this
 * big, and whether its source's rate allows it. Nothing is parsed into events before a call is
 * admitted, and each refusal is counted here, once, under its reason.
 */
@ApplicationScoped
public class RequestAdmission {

    private static final Logger LOG = Logger.getLogger(RequestAdmission.class);

    private final WriteKeyAuthenticator authenticator;
    private final TrackingRequestReader reader;
    private final SourceRateLimiter rateLimiter;
    private final IngestMetrics metrics;
    private final IngestConfig config;

    public RequestAdmission(WriteKeyAuthenticator authenticator, TrackingRequestReader reader,
            SourceRateLimiter rateLimiter, IngestMetrics metrics, IngestConfig config) {
        this.authenticator = authenticator;
        this.reader = reader;
        this.rateLimiter = rateLimiter;
        this.metrics = metrics;
        this.config = config;
    }

    /**
     * The source of an HTTP call, known before its body is parsed into events: from the Basic header
     * (an unknown one never gets here, see WriteKeyGuard), else from the body's {@code writeKey}, found
     * by a scan that builds no tree. Counts the body's bytes for that source.
     */
    public String source(String authorization, byte[] body) {
        String writeKey = authenticator.carriesWriteKey(authorization) ? null : read(() -> reader.writeKey(body));
        String source = authenticator.source(authorization, writeKey)
                .orElseThrow(() -> metrics.refused(IngestMetrics.UNKNOWN_SOURCE, 1, new UnknownWriteKeyException()));
        metrics.received(source, body.length);
        return source;
    }

    /** Reads a body whose source may not be known yet: a body that cannot be read counts for no known source. */
    public <T> T read(Supplier<T> reading) {
        try {
            return reading.get();
        } catch (MalformedRequestException e) {
            throw metrics.refused(IngestMetrics.UNKNOWN_SOURCE, 1, e);
        }
    }

    /** A single call: its body at most one event's size, and its source's rate allowing one more event. */
    public void admitSingle(String source, byte[] body, JsonNode message) {
        if (body.length > config.maxEventBytes()) {
            metrics.client(Channel.HTTP, ClientLibrary.of(message.get("context")), "rejected", 1);
            throw metrics.refused(source, 1, new EventTooLargeException("body", config.maxEventBytes()));
        }
        admitRate(source, 1);
    }

    /**
     * A batch of {@code events}: its defaults, merged into each event, must not grow the request past
     * what a request may hold, and the source's rate must allow them all.
     */
    public void admitBatch(String source, int events, long defaultsBytes) {
        if (defaultsBytes * events > config.maxRequestBytes()) {
            // Merged into every event, a large context in a batch of many small events would grow the
            // request a thousandfold on its way to Kafka: refuse it before a single copy is made.
            LOG.debugf("source=%s batch of %d events refused: its defaults take %d bytes", source, events, defaultsBytes);
            throw metrics.refused(source, events, new EventTooLargeException("context", "the batch's context and "
                    + "integrations (" + defaultsBytes + " bytes), merged into each of its " + events
                    + " events, would add more than " + config.maxRequestBytes() + " bytes; send fewer events per "
                    + "batch or a smaller context"));
        }
        admitRate(source, events);
    }

    private void admitRate(String source, int events) {
        try {
            rateLimiter.admit(source, events);
        } catch (RateLimitExceededException e) {
            throw metrics.refused(source, events, e);
        }
    }
}
