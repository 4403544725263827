package io.tidemark.dedup.repository;

import io.smallrye.mutiny.Uni;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.event.EventFlag;
import io.tidemark.event.EventIndexLayout;
import io.tidemark.event.EventType;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Set;
import java.util.stream.Collectors;

/** The event-time index and its ledger of changed days. */
@ApplicationScoped
public class EventIndexRepository {

    private static final String INSERT_EVENT = "INSERT INTO tidemark.events_by_day (source, event_date, bucket, "
            + "event_time, message_id, type, event, user_id, anonymous_id, group_id, previous_id, properties, traits, "
            + "context, received_at, sent_at, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String SELECT_EVENT = "SELECT message_id FROM tidemark.events_by_day "
            + "WHERE source = ? AND event_date = ? AND bucket = ? AND event_time = ? AND message_id = ?";
    private static final String MARK_CHANGED = "INSERT INTO tidemark.changed_days (source, event_date, changed_at) "
            + "VALUES (?, ?, ?)";

    private final CqlStatements cql;

    public EventIndexRepository(CqlStatements cql) {
        this.cql = cql;
    }

    /** Writes the event at {@code eventTime}; an upsert, so writing the same event twice leaves one row. */
    public Uni<Void> write(CollectedEvent event, Instant eventTime) {
        Set<String> flags = event.flags().stream().map(EventFlag::wireName).collect(Collectors.toSet());
        return cql.execute(INSERT_EVENT, event.source(), EventIndexLayout.eventDay(eventTime),
                EventIndexLayout.bucket(event.messageId()), eventTime, event.messageId(), event.type().wireName(),
                event.type() == EventType.TRACK ? event.event() : event.name(), event.userId(), event.anonymousId(),
                event.groupId(), event.previousId(), EventCodec.toJsonText(event.properties()),
                EventCodec.toJsonText(event.traits()), EventCodec.toJsonText(event.context()), event.receivedAt(),
                event.sentAt(), flags).replaceWithVoid();
    }

    public Uni<Boolean> exists(String source, String messageId, Instant eventTime) {
        return cql.execute(SELECT_EVENT, source, EventIndexLayout.eventDay(eventTime),
                EventIndexLayout.bucket(messageId), eventTime, messageId).map(result -> result.one() != null);
    }

    /** Notes that a day's partition changed, so the mart re-exports exactly that day. */
    public Uni<Void> markChanged(String source, LocalDate day) {
        return cql.execute(MARK_CHANGED, source, day, Instant.now()).replaceWithVoid();
    }
}
