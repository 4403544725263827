package io.tidemark.e2e;

import io.tidemark.testsupport.ServiceProcess;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * dedup-service as a process on the real broker and database: copies in one batch, in later
 * batches, after a restart and days apart with other timestamps leave exactly one row per event,
 * on the day of its first copy, and exactly one record on the clean topic.
 */
class DedupDuplicatesIT {

    static final Duration PATIENCE = Duration.ofSeconds(120);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void everyCopyOfAnEventLeavesExactlyOneRowOnItsFirstDay() throws Exception {
        String source = "dedup-it-" + UUID.randomUUID().toString().substring(0, 8);
        Instant base = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(10, ChronoUnit.DAYS).plus(12, ChronoUnit.HOURS);
        List<String> firstBatch = ids("a", 300);
        List<String> secondBatch = ids("b", 100);
        List<String> afterRestart = ids("c", 100);

        try (RawTopic topic = RawTopic.create("localhost:9092"); StoredRows stored = new StoredRows("127.0.0.1", 9042)) {
            ServiceProcess dedup = start(topic);
            try {
                // Copies back to back: they arrive in the same poll.
                for (String id : firstBatch) {
                    for (int copy = 0; copy < 3; copy++) {
                        topic.send(RawTopic.event(source, id, base));
                    }
                }
                awaitConsumed(topic);

                // Later batches: copies two days later with another timestamp, beside new events.
                firstBatch.forEach(id -> topic.send(RawTopic.event(source, id, base.plus(2, ChronoUnit.DAYS))));
                secondBatch.forEach(id -> topic.send(RawTopic.event(source, id, base)));
                awaitConsumed(topic);
            } finally {
                dedup.close();
            }

            dedup = start(topic);
            try {
                // After a restart the in-memory cache is empty: only the ledger knows these events.
                firstBatch.forEach(id -> topic.send(RawTopic.event(source, id, base.minus(3, ChronoUnit.DAYS))));
                secondBatch.forEach(id -> topic.send(RawTopic.event(source, id, base.plus(1, ChronoUnit.DAYS))));
                afterRestart.forEach(id -> topic.send(RawTopic.event(source, id, base)));
                awaitConsumed(topic);
            } finally {
                // Every record is committed: see ServiceProcess.closeInBackground.
                dedup.closeInBackground();
            }

            List<String> all = new ArrayList<>(firstBatch);
            all.addAll(secondBatch);
            all.addAll(afterRestart);
            LocalDate day = LocalDate.ofInstant(base, java.time.ZoneOffset.UTC);
            Map<String, List<StoredRows.Stored>> rows = stored.rows(source,
                    List.of(day.minusDays(3), day, day.plusDays(1), day.plusDays(2)));
            assertEquals(all.size(), rows.size(), "events with a row");
            for (String id : all) {
                assertEquals(List.of(new StoredRows.Stored(day, base)), rows.get(id), "rows of " + id);
            }
            Map<String, Integer> clean = topic.cleanCounts();
            assertEquals(new TreeMap<>(once(all)), new TreeMap<>(clean), "clean topic records per messageId");
        }
    }

    private static ServiceProcess start(RawTopic topic) throws Exception {
        ServiceProcess dedup = ServiceProcess.launch("dedup-service", topic.dedupProperties());
        dedup.awaitReady();
        return dedup;
    }

    static void awaitConsumed(RawTopic topic) throws Exception {
        await(topic::allConsumed, "dedup consumed every record");
    }

    static void await(Callable<Boolean> condition, String what) {
        org.awaitility.Awaitility.await(what).atMost(PATIENCE).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(250)).until(condition);
    }

    static List<String> ids(String prefix, int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(prefix + "-" + i + "-" + UUID.randomUUID());
        }
        return ids;
    }

    static Map<String, Integer> once(List<String> ids) {
        Map<String, Integer> once = new TreeMap<>();
        ids.forEach(id -> once.put(id, 1));
        return once;
    }
}
