package io.tidemark.dedup.service;

import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.junit.QuarkusTest;
import io.tidemark.dedup.repository.MessageLedger;
import io.tidemark.event.ChangedHours;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.event.EventIndexLayout;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The ownership rules of the ledger, driven with chosen raw-topic positions against the real Cassandra
 * (and the real clean topic): the states a crash or a rebalance leaves behind are written directly.
 */
@QuarkusTest
class EventDeduplicatorTest {


    @Inject
    EventDeduplicator deduplicator;

    @Inject
    QuarkusCqlSession session;

    private final String source = "owner-test-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void theOwnersRedeliveryRedoesItsStoreAtTheClaimedTimeAndALaterCopyIsDropped() {
        // A crash right after the claim: the claim names partition 3 offset 42, no row exists yet.
        Instant claimed = Instant.now().minus(2, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MILLIS);
        Instant later = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        String messageId = UUID.randomUUID().toString();
        claim(messageId, claimed, 3, 42);

        CollectedEvent redelivered = event(messageId, later);
        assertEquals(List.of(StoreOutcome.COMPLETED), outcomes(new Delivery(redelivered,
                EventCodec.encode(redelivered), 3, 42)));
        assertEquals(1, rowsOf(messageId, EventIndexLayout.eventDay(claimed)).size());
        assertEquals(0, rowsOf(messageId, EventIndexLayout.eventDay(later)).size());

        CollectedEvent copy = event(messageId, later.plusSeconds(5));
        assertEquals(List.of(StoreOutcome.DUPLICATE), outcomes(new Delivery(copy, EventCodec.encode(copy), 3, 57)));
        assertEquals(0, rowsOf(messageId, EventIndexLayout.eventDay(later)).size());
    }

    @Test
    void aCopyOfAMessageOwnedByAnEarlierRecordStoresNothingEvenBeforeTheOwnersRowExists() {
        // The owner at offset 10 is claimed but not stored: its own redelivery, which comes before any
        // commit past it, stores it. The copy at offset 11 must not.
        Instant time = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        String messageId = UUID.randomUUID().toString();
        claim(messageId, time, 0, 10);

        CollectedEvent copy = event(messageId, time.plusMillis(250));
        assertEquals(List.of(StoreOutcome.DUPLICATE), outcomes(new Delivery(copy, EventCodec.encode(copy), 0, 11)));
        assertEquals(0, rowsOf(messageId, EventIndexLayout.eventDay(time)).size());
    }

    @Test
    void aNewMessageIsClaimedForItsOwnDeliveryAndStoredOnce() {
        Instant time = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        String messageId = UUID.randomUUID().toString();
        CollectedEvent event = event(messageId, time);
        CollectedEvent copy = event(messageId, time.plusSeconds(1));

        assertEquals(List.of(StoreOutcome.STORED, StoreOutcome.DUPLICATE), outcomes(
                new Delivery(event, EventCodec.encode(event), 5, 7), new Delivery(copy, EventCodec.encode(copy), 5, 9)));
        Row claim = session.execute(SimpleStatement.newInstance("SELECT owner_partition, owner_offset, event_time FROM "
                + "tidemark.message_claims WHERE source = ? AND bucket = ? AND message_id = ?", source,
                MessageLedger.bucket(source, messageId, MessageLedger.BUCKETS), messageId)).one();
        assertEquals(5, claim.getInt("owner_partition"));
        assertEquals(7L, claim.getLong("owner_offset"));
        assertEquals(time, claim.getInstant("event_time"));
        assertEquals(1, rowsOf(messageId, EventIndexLayout.eventDay(time)).size());
    }

    @Test
    void theRowsOfABatchFromOneRawPartitionShareAFractionOfTheDaysPartitions() {
        // The raw topic's six partitions, as ingest's producer chooses them: messages of partition 2 only.
        Instant time = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        List<Delivery> batch = new ArrayList<>();
        while (batch.size() < 120) {
            String messageId = UUID.randomUUID().toString();
            if (MessageLedger.keyHash(source, messageId) % 6 == 2) {
                CollectedEvent event = event(messageId, time.plusMillis(batch.size()));
                batch.add(new Delivery(event, EventCodec.encode(event), 2, 1_000 + batch.size()));
            }
        }

        assertEquals(Collections.nCopies(120, StoreOutcome.STORED), outcomes(batch.toArray(Delivery[]::new)));
        List<Row> rows = rowsOf(EventIndexLayout.eventDay(time));
        assertEquals(120, rows.size());
        // Placed by their messageIds' own hash, they would spread over all eight.
        Set<Short> buckets = rows.stream().map(row -> row.getShort("bucket")).collect(Collectors.toSet());
        assertEquals(4, buckets.size(), "buckets written: " + buckets);
    }

    @Test
    void eachStoreOfADayAddsOneToItsChangeCount() {
        Instant time = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        LocalDate day = EventIndexLayout.eventDay(time);
        CollectedEvent first = event(UUID.randomUUID().toString(), time);
        CollectedEvent second = event(UUID.randomUUID().toString(), time.plusMillis(1));

        assertEquals(List.of(StoreOutcome.STORED), outcomes(new Delivery(first, EventCodec.encode(first), 2, 20)));
        assertEquals(1L, changesOf(day));
        assertEquals(List.of(StoreOutcome.STORED), outcomes(new Delivery(second, EventCodec.encode(second), 2, 21)));
        assertEquals(2L, changesOf(day), "a second write of the day counts again, whatever this host's clock says");

        CollectedEvent copy = event(first.messageId(), time.plusSeconds(1));
        assertEquals(List.of(StoreOutcome.DUPLICATE), outcomes(new Delivery(copy, EventCodec.encode(copy), 2, 22)));
        assertEquals(2L, changesOf(day), "a copy writes no row, so it changes nothing");
        assertEquals(0L, changesOf(day.plusDays(1)));
    }

    @Test
    void aStoreCountsTheHoursOfEventTimeItsRowsFallIn() {
        // A batch of one hour (a live batch) and one over two hours of an earlier day (a late phone).
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(3);
        Instant nineFifty = day.atTime(9, 50).toInstant(ZoneOffset.UTC);
        Instant elevenFive = day.atTime(11, 5).toInstant(ZoneOffset.UTC);
        CollectedEvent live = event(UUID.randomUUID().toString(), nineFifty);
        assertEquals(List.of(StoreOutcome.STORED), outcomes(new Delivery(live, EventCodec.encode(live), 4, 40)));
        CollectedEvent late = event(UUID.randomUUID().toString(), nineFifty.plusSeconds(60));
        CollectedEvent later = event(UUID.randomUUID().toString(), elevenFive);
        assertEquals(List.of(StoreOutcome.STORED, StoreOutcome.STORED), outcomes(
                new Delivery(late, EventCodec.encode(late), 4, 41), new Delivery(later, EventCodec.encode(later), 4, 42)));

        Row row = session.execute(SimpleStatement.newInstance("SELECT * FROM tidemark.day_changes "
                + "WHERE source = ? AND event_date = ?", source, day)).one();
        assertEquals(2L, row.getLong("changes"));
        assertEquals(2L, row.getLong("hour_marked"), "every mark of this version names its hours");
        for (int hour = 0; hour < ChangedHours.HOURS; hour++) {
            long expected = hour == 9 ? 2 : hour == 11 ? 1 : 0;
            assertEquals(expected, row.isNull(ChangedHours.column(hour)) ? 0 : row.getLong(ChangedHours.column(hour)),
                    "hour " + hour);
        }
    }

    private long changesOf(LocalDate day) {
        Row row = session.execute(SimpleStatement.newInstance("SELECT changes FROM tidemark.day_changes "
                + "WHERE source = ? AND event_date = ?", source, day)).one();
        return row == null ? 0 : row.getLong("changes");
    }

    private List<StoreOutcome> outcomes(Delivery... deliveries) {
        return TestEvents.outcomes(deduplicator, List.of(deliveries)).stream().sorted().toList();
    }

    private void claim(String messageId, Instant eventTime, int partition, long offset) {
        session.execute(SimpleStatement.newInstance("INSERT INTO tidemark.message_claims (source, bucket, message_id, "
                        + "event_time, first_seen, owner_partition, owner_offset) VALUES (?, ?, ?, ?, ?, ?, ?)", source,
                MessageLedger.bucket(source, messageId, MessageLedger.BUCKETS), messageId, eventTime, Instant.now(), partition, offset));
    }

    private CollectedEvent event(String messageId, Instant time) {
        return TestEvents.click(source, messageId, time);
    }

    private List<Row> rowsOf(String messageId, LocalDate day) {
        return rowsOf(day).stream().filter(row -> row.getString("message_id").equals(messageId)).toList();
    }

    /** The source's rows of a day in every bucket of the original layout, wherever dedup placed them. */
    private List<Row> rowsOf(LocalDate day) {
        List<Short> buckets = IntStream.range(0, EventIndexLayout.ORIGINAL_BUCKETS).mapToObj(b -> (short) b).toList();
        return session.execute(SimpleStatement.newInstance("SELECT message_id, bucket FROM tidemark.events_by_day "
                + "WHERE source = ? AND event_date = ? AND bucket IN ?", source, day, buckets)).all();
    }
}
