package io.tidemark.ingest.service;

import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventType;
import io.tidemark.ingest.config.IngestConfig;
import io.tidemark.ingest.messaging.RawEventPublisher;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Instant;

/** Accepts one call: authenticates it, reads it, and completes only once Kafka holds the event. */
@ApplicationScoped
public class EventCollector {

    private static final Logger LOG = Logger.getLogger(EventCollector.class);

    private final WriteKeyAuthenticator authenticator;
    private final SegmentEventParser parser;
    private final RawEventPublisher publisher;
    private final IngestConfig config;

    public EventCollector(WriteKeyAuthenticator authenticator, SegmentEventParser parser, RawEventPublisher publisher,
            IngestConfig config) {
        this.authenticator = authenticator;
        this.parser = parser;
        this.publisher = publisher;
        this.config = config;
    }

    public Uni<CollectedEvent> collect(EventType type, String authorization, JsonNode body) {
        Instant receivedAt = Instant.now();
        String source = authenticator.source(authorization, textField(body, "writeKey"))
                .orElseThrow(UnknownWriteKeyException::new);
        CollectedEvent event = parser.parse(body, type, source, receivedAt, null);
        return publisher.publish(event)
                .ifNoItem().after(config.ackTimeout()).fail()
                .onFailure().transform(failure -> {
                    LOG.warnf("messageId=%s source=%s not acknowledged by Kafka: %s", event.messageId(), source, failure.toString());
                    return new EventNotStoredException(failure);
                })
                .replaceWith(event);
    }

    private static String textField(JsonNode body, String field) {
        JsonNode node = body == null ? null : body.get(field);
        return node != null && node.isTextual() ? node.asText() : null;
    }
}
