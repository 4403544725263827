package io.tidemark.dedup.service;

import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.event.EventIndexLayout;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Partitions sized by volume against the real Cassandra: with a partition target of 2 KB a few
 * hundred events make a day outgrow its buckets several times over, the last time into hourly slices
 * of event time. Every event must still be stored once, readable from the buckets of the highest
 * recorded layout; the events of one moment must share the buckets of their slice; and a redelivery of
 * a record claimed under an earlier layout must rewrite its row where it is, not beside it.
 */
@QuarkusTest
@TestProfile(IndexLayoutGrowthTest.SmallPartitions.class)
class IndexLayoutGrowthTest {

    private static final int EVENTS = 600;
    private static final int BATCH = 50;

    public static class SmallPartitions implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // A past day projected no further than its bytes: the layouts grow step by step. No cache of
            // stored keys: every redelivery meets the ledger, as on a host restarted after a crash.
            return Map.of("tidemark.dedup.index.partition-target", "2048",
                    "tidemark.dedup.index.layout-refresh", "PT0S",
                    "tidemark.dedup.index.past-day-horizon", "PT0S",
                    "tidemark.dedup.cache.expire-after-write", "PT0S");
        }
    }

    @Inject
    EventDeduplicator deduplicator;

    @Inject
    QuarkusCqlSession session;

    private final String source = "layout-test-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void aBusyDayGetsMoreBucketsAndEveryEventStaysStoredOnceThroughRedeliveriesAfterTheGrowth() {
        Instant time = Instant.now().minus(3, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MILLIS);
        LocalDate day = EventIndexLayout.eventDay(time);
        List<Delivery> deliveries = new ArrayList<>();
        for (int i = 0; i < EVENTS; i++) {
            CollectedEvent event = event(UUID.randomUUID().toString(), time.plusMillis(i));
            deliveries.add(new Delivery(event, EventCodec.encode(event), 4, i));
        }
        for (int from = 0; from < EVENTS; from += BATCH) {
            List<StoreOutcome> outcomes = outcomes(deliveries.subList(from, from + BATCH));
            assertEquals(BATCH, outcomes.stream().filter(o -> o == StoreOutcome.STORED).count(), "batch at " + from);
        }

        List<Row> versions = session.execute(SimpleStatement.newInstance("SELECT version, buckets, slice_seconds FROM "
                + "tidemark.index_layouts WHERE source = ? AND event_date = ?", source, day)).all();
        assertTrue(versions.size() >= 2, "the day grew more than once: " + versions.size() + " version(s)");
        int previous = Integer.MAX_VALUE;
        for (Row version : versions) {
            // Newest first, each with more buckets than the one before, a power of two in each slice.
            int buckets = version.getInt("buckets");
            int slices = EventIndexLayout.WHOLE_DAY_SECONDS / version.getInt("slice_seconds");
            assertTrue(buckets < previous && buckets % slices == 0 && Integer.bitCount(buckets / slices) == 1,
                    "buckets of version " + version.getInt("version") + ": " + buckets + " in " + slices + " slice(s)");
            previous = buckets;
        }
        int highest = versions.get(0).getInt("buckets");
        assertEquals(versions.size(), versions.get(0).getInt("version"), "versions are numbered from 1 without gaps");

        Map<String, Integer> rows = rowsOfDay(day, highest);
        Set<Integer> bucketsUsed = bucketsUsed(day, highest);
        assertEquals(EVENTS, rows.size(), "every event is stored");
        assertTrue(rows.values().stream().allMatch(n -> n == 1), "none twice");
        assertTrue(bucketsUsed.size() > EventIndexLayout.ORIGINAL_BUCKETS, "rows beyond the original 8 buckets: " + bucketsUsed);

        // The last layout cuts the day into hours; the last batch, all within one second, was claimed
        // under it and went to the buckets of that second's hour only.
        assertEquals(3600, versions.get(0).getInt("slice_seconds"), "the day is cut into hourly slices");
        int perSlice = highest / 24;
        int hour = time.atZone(java.time.ZoneOffset.UTC).getHour();
        Map<String, Integer> where = bucketOfEach(day, highest);
        Set<Integer> lastBatch = new HashSet<>();
        for (Delivery d : deliveries.subList(EVENTS - BATCH, EVENTS)) {
            lastBatch.add(where.get(d.event().messageId()));
        }
        assertTrue(lastBatch.stream().allMatch(b -> b >= hour * perSlice && b < (hour + 1) * perSlice),
                "the last batch's buckets " + lastBatch + " lie in hour " + hour + "'s " + perSlice);

        // A crash before the first batch's commit: its records come again, claimed under 8 buckets.
        List<StoreOutcome> redone = outcomes(deliveries.subList(0, BATCH));
        assertTrue(redone.stream().allMatch(o -> o == StoreOutcome.COMPLETED), "redelivered owners redo: " + redone);
        // A copy of a record claimed under the last layout, at a later offset.
        CollectedEvent last = deliveries.get(EVENTS - 1).event();
        CollectedEvent copy = event(last.messageId(), time.plusSeconds(60));
        assertEquals(List.of(StoreOutcome.DUPLICATE), outcomes(List.of(new Delivery(copy, EventCodec.encode(copy), 4, EVENTS))));

        int highestAfter = session.execute(SimpleStatement.newInstance(EventIndexLayout.HIGHEST_BUCKETS_CQL, source, day))
                .one().getInt("buckets");
        Map<String, Integer> after = rowsOfDay(day, highestAfter);
        assertEquals(EVENTS, after.size());
        assertTrue(after.values().stream().allMatch(n -> n == 1), "a redelivery rewrote its row where it was, not beside it");
    }

    private List<StoreOutcome> outcomes(List<Delivery> deliveries) {
        return TestEvents.outcomes(deduplicator, deliveries);
    }

    private Map<String, Integer> rowsOfDay(LocalDate day, int buckets) {
        Map<String, Integer> rows = new HashMap<>();
        for (int bucket = 0; bucket < buckets; bucket++) {
            for (Row row : session.execute(SimpleStatement.newInstance("SELECT message_id FROM tidemark.events_by_day "
                    + "WHERE source = ? AND event_date = ? AND bucket = ?", source, day, (short) bucket))) {
                rows.merge(row.getString("message_id"), 1, Integer::sum);
            }
        }
        return rows;
    }

    private Map<String, Integer> bucketOfEach(LocalDate day, int buckets) {
        Map<String, Integer> where = new HashMap<>();
        for (int bucket = 0; bucket < buckets; bucket++) {
            for (Row row : session.execute(SimpleStatement.newInstance("SELECT message_id FROM tidemark.events_by_day "
                    + "WHERE source = ? AND event_date = ? AND bucket = ?", source, day, (short) bucket))) {
                where.put(row.getString("message_id"), bucket);
            }
        }
        return where;
    }

    private Set<Integer> bucketsUsed(LocalDate day, int buckets) {
        Set<Integer> used = new HashSet<>();
        for (int bucket = 0; bucket < buckets; bucket++) {
            if (session.execute(SimpleStatement.newInstance("SELECT message_id FROM tidemark.events_by_day "
                    + "WHERE source = ? AND event_date = ? AND bucket = ? LIMIT 1", source, day, (short) bucket)).one() != null) {
                used.add(bucket);
            }
        }
        return used;
    }

    private CollectedEvent event(String messageId, Instant time) {
        return TestEvents.click(source, messageId, time);
    }
}
