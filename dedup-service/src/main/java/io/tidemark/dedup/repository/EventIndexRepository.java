package io.tidemark.dedup.repository;

import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.tidemark.dedup.config.DedupConfig;
import io.tidemark.event.ChangedHours;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.event.EventFlag;
import io.tidemark.event.EventIndexLayout;
import io.tidemark.event.EventType;
import io.tidemark.event.RawJsonObject;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** The event-time index and its ledger of changed days. */
@ApplicationScoped
public class EventIndexRepository {

    private static final String INSERT_EVENT = "INSERT INTO tidemark.events_by_day (source, event_date, bucket, "
            + "event_time, message_id, type, event, user_id, anonymous_id, group_id, previous_id, properties, traits, "
            + "context, received_at, sent_at, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            + "USING TTL ?";
    private static final String MARK_CHANGED = "INSERT INTO tidemark.changed_days (source, event_date, changed_at) "
            + "VALUES (?, ?, ?)";
    private static final String COUNT_CHANGE = "UPDATE tidemark.day_changes SET changes = changes + 1, "
            + "hour_marked = hour_marked + 1, stored_bytes = stored_bytes + ?, %s WHERE source = ? AND event_date = ?";
    // A mark of one hour (nearly every live batch) adds to that hour's column alone; a mark of several
    // adds 0 or 1 to every column, so there are 25 statement texts to prepare, not one per set of hours.
    private static final List<String> COUNT_ONE_HOUR = ChangedHours.columns().stream()
            .map(column -> COUNT_CHANGE.formatted(column + " = " + column + " + 1")).toList();
    private static final String COUNT_HOURS = COUNT_CHANGE.formatted(String.join(", ", ChangedHours.columns().stream()
            .map(column -> column + " = " + column + " + ?").toList()));

    private final CqlStatements cql;
    private final int eventTtlSeconds;

    public EventIndexRepository(CqlStatements cql, DedupConfig config) {
        this.cql = cql;
        this.eventTtlSeconds = (int) Math.min(Integer.MAX_VALUE, config.eventTtl().toSeconds());
    }

    /**
     * An event, the event time its row is stored at (the first copy's, whatever this copy says) and
     * the bucket its claim chose.
     */
    public record Placed(CollectedEvent event, Instant eventTime, short bucket) {
    }

    /** The index partition a placed event's row belongs to. */
    public record Partition(String source, LocalDate day, short bucket) {
        public static Partition of(Placed placed) {
            return new Partition(placed.event().source(), EventIndexLayout.eventDay(placed.eventTime()), placed.bucket());
        }
    }

    /**
     * Writes rows of one {@link Partition} as one unlogged batch, which Cassandra applies as a single
     * mutation: far cheaper than a request per row, and all or nothing. Upserts, so writing the same
     * events again leaves the same rows.
     */
    public Uni<Void> writeAll(List<Placed> rows) {
        List<Object[]> values = new ArrayList<>(rows.size());
        rows.forEach(placed -> values.add(values(placed)));
        return cql.executeBatch(INSERT_EVENT, values).replaceWithVoid();
    }

    private Object[] values(Placed placed) {
        CollectedEvent event = placed.event();
        Instant eventTime = placed.eventTime();
        // No flags: leave the column unset; even an empty collection written by an INSERT is a tombstone.
        Set<String> flags = event.flags().isEmpty() ? null
                : event.flags().stream().map(EventFlag::wireName).collect(Collectors.toSet());
        return new Object[] {event.source(), EventIndexLayout.eventDay(eventTime), placed.bucket(), eventTime,
                event.messageId(), event.type().wireName(), event.type() == EventType.TRACK ? event.event() : event.name(), event.userId(), event.anonymousId(),
                event.groupId(), event.previousId(), jsonColumn(event.properties()), jsonColumn(event.traits()),
                jsonColumn(event.context()), event.receivedAt(), event.sentAt(), flags, eventTtlSeconds};
    }

    /**
     * A text column's value for a free-form object: an object kept as the record's bytes goes as those
     * bytes, which are already the column's UTF-8 form ({@link CqlStatements} binds them unencoded),
     * instead of being written out as a String and encoded again; a tree as its JSON text.
     */
    private static Object jsonColumn(JsonNode node) {
        RawJsonObject raw = RawJsonObject.of(node);
        return raw != null ? raw.utf8() : EventCodec.toJsonText(node);
    }

    /**
     * Notes that a day's partition changed, so the mart re-exports exactly that day. Written after
     * the rows it covers, so whoever reads the mark finds them.
     *
     * <p>The mark the mart trusts is the counter: {@code changed_at} is this host's clock, and a host
     * whose clock is behind would write a time the mart's files already cover (mart-service/README.md gives the whole
     * case). An increment carries no clock and adds to every other host's, so the count only goes up;
     * one applied twice by a retry costs one more export, nothing else. {@code changed_at} stays for
     * the ledger's other readers (which sources exist) and for a mart that does not know the counter.
     * The same increment adds the rows' bytes, which decide the day's bucket count ({@code IndexLayouts}),
     * and one to the counter of each UTC hour of event time in {@code hours} (a {@link ChangedHours}
     * mask), so the mart exports again only those hours; being one statement on one row, a reader
     * sees the day's count and its hours' counts move together.
     */
    public Uni<Void> markChanged(String source, LocalDate day, long storedBytes, int hours) {
        return Uni.combine().all().unis(
                        countChange(source, day, storedBytes, hours),
                        cql.execute(MARK_CHANGED, source, day, Instant.now()))
                .discardItems();
    }

    private Uni<?> countChange(String source, LocalDate day, long storedBytes, int hours) {
        if (Integer.bitCount(hours) == 1) {
            return cql.execute(COUNT_ONE_HOUR.get(Integer.numberOfTrailingZeros(hours)), storedBytes, source, day);
        }
        Object[] values = new Object[ChangedHours.HOURS + 3];
        values[0] = storedBytes;
        for (int hour = 0; hour < ChangedHours.HOURS; hour++) {
            values[hour + 1] = (long) ((hours >>> hour) & 1);
        }
        values[ChangedHours.HOURS + 1] = source;
        values[ChangedHours.HOURS + 2] = day;
        return cql.execute(COUNT_HOURS, values);
    }
}
