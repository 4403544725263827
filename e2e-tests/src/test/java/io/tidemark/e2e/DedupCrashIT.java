package io.tidemark.e2e;

import io.tidemark.testsupport.ServiceProcess;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 of dedup-service in the middle of a stream of thousands of events (a quarter of them
 * copies): after a restart every event has exactly one row and reached the clean topic.
 */
class DedupCrashIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final int EVENTS = 4000;

    @Test
    void killedMidStreamThenRestartedStoresEveryEventExactlyOnce() throws Exception {
        String source = "dedup-crash-" + UUID.randomUUID().toString().substring(0, 8);
        Instant time = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(1, ChronoUnit.DAYS).plus(12, ChronoUnit.HOURS);
        LocalDate day = LocalDate.ofInstant(time, ZoneOffset.UTC);
        List<String> ids = DedupDuplicatesIT.ids("k", EVENTS);

        try (RawTopic topic = RawTopic.create("localhost:9092"); StoredRows stored = new StoredRows("127.0.0.1", 9042)) {
            ServiceProcess dedup = ServiceProcess.launch("dedup-service", topic.dedupProperties());
            dedup.awaitReady();
            AtomicReference<Throwable> producerFailure = new AtomicReference<>();
            Thread stream = new Thread(() -> {
                try {
                    for (int i = 0; i < ids.size(); i++) {
                        topic.send(RawTopic.event(source, ids.get(i), time.plusMillis(i)));
                        if (i % 4 == 3) {
                            // A copy of an earlier event, as a client or producer retry makes it.
                            int earlier = i - 1 - (i % 97) % Math.min(i, 50);
                            topic.send(RawTopic.event(source, ids.get(earlier), time.plusMillis(earlier)));
                        }
                        if (i % 100 == 99) {
                            topic.flush();
                            Thread.sleep(40);
                        }
                    }
                    topic.flush();
                } catch (Throwable e) {
                    producerFailure.set(e);
                }
            }, "raw-stream");
            stream.start();
            try {
                DedupDuplicatesIT.await(() -> stored.rows(source, List.of(day)).size() >= EVENTS / 5,
                        "a fifth of the events is stored");
                dedup.kill();
                assertTrue(stored.rows(source, List.of(day)).size() < EVENTS, "killed in the middle of the stream");
                Thread.sleep(1000);
                dedup = ServiceProcess.launch("dedup-service", topic.dedupProperties());
                dedup.awaitReady();
                stream.join();
                assertEquals(null, producerFailure.get());
                DedupDuplicatesIT.awaitConsumed(topic);
            } finally {
                stream.join();
                // Every record is committed: see ServiceProcess.closeInBackground.
                dedup.closeInBackground();
            }

            Map<String, List<StoredRows.Stored>> rows = stored.rows(source, List.of(day.minusDays(1), day, day.plusDays(1)));
            assertEquals(DedupDuplicatesIT.once(ids), StoredRows.counts(rows), "rows per messageId");
            Map<String, Integer> clean = topic.cleanCounts();
            // A crash between publishing and completing the claim republishes: at least once there.
            assertEquals(new TreeMap<>(DedupDuplicatesIT.once(ids)).keySet(), new TreeMap<>(clean).keySet(),
                    "messageIds on the clean topic");
        }
    }
}
