package io.tidemark.e2e;

import io.tidemark.testsupport.ServiceProcess;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Several dedup-service instances in one consumer group while partitions move between them mid-stream:
 * an instance joins, one is killed (its partitions wait for its session to time out), one leaves
 * gracefully while its batches are still being written. Each move hands partitions over at their last
 * commit while the previous owner may still be storing what came after it, so two instances work on
 * the same records at once. Copies carry another timestamp than their original, as retried events do,
 * so a copy stored a second time would show as a second row.
 */
class DedupRebalanceIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final int EVENTS = 6000;

    @Test
    void partitionsMovingBetweenInstancesMidStreamStoreEveryEventExactlyOnce() throws Exception {
        String source = "dedup-rebalance-" + UUID.randomUUID().toString().substring(0, 8);
        Instant time = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(1, ChronoUnit.DAYS).plus(12, ChronoUnit.HOURS);
        LocalDate day = LocalDate.ofInstant(time, ZoneOffset.UTC);
        List<String> ids = DedupDuplicatesIT.ids("r", EVENTS);

        try (RawTopic topic = RawTopic.create("localhost:9092"); StoredRows stored = new StoredRows("127.0.0.1", 9042)) {
            List<ServiceProcess> instances = new ArrayList<>();
            try {
                ServiceProcess first = started(topic, instances);
                ServiceProcess second = started(topic, instances);
                AtomicReference<Throwable> producerFailure = new AtomicReference<>();
                Thread stream = new Thread(() -> {
                    try {
                        for (int i = 0; i < ids.size(); i++) {
                            topic.send(RawTopic.event(source, ids.get(i), time.plusMillis(i)));
                            if (i % 3 == 2) {
                                // A retry of an earlier event, its timestamp corrected differently.
                                int earlier = i - 1 - (i % 89) % Math.min(i, 60);
                                topic.send(RawTopic.event(source, ids.get(earlier), time.plusMillis(earlier).plusSeconds(7)));
                            }
                            if (i % 100 == 99) {
                                topic.flush();
                                Thread.sleep(60);
                            }
                        }
                        topic.flush();
                    } catch (Throwable e) {
                        producerFailure.set(e);
                    }
                }, "raw-stream");
                stream.start();
                try {
                    awaitStored(stored, source, day, EVENTS / 6);
                    started(topic, instances);
                    awaitStored(stored, source, day, EVENTS / 3);
                    first.kill();
                    awaitStored(stored, source, day, EVENTS / 2);
                    second.close();
                    started(topic, instances);
                } finally {
                    stream.join();
                }
                assertEquals(null, producerFailure.get());
                DedupDuplicatesIT.awaitConsumed(topic);
            } finally {
                // Every record is committed: see ServiceProcess.closeInBackground.
                instances.forEach(ServiceProcess::closeInBackground);
            }

            Map<String, List<StoredRows.Stored>> rows = stored.rows(source, List.of(day.minusDays(1), day, day.plusDays(1)));
            assertEquals(DedupDuplicatesIT.once(ids), StoredRows.counts(rows), "rows per messageId");
            // Every row is at its original's time: no copy's time ever won.
            for (int i = 0; i < ids.size(); i++) {
                assertEquals(time.plusMillis(i), rows.get(ids.get(i)).get(0).eventTime(), "event time of " + ids.get(i));
            }
            assertEquals(new TreeMap<>(DedupDuplicatesIT.once(ids)).keySet(), new TreeMap<>(topic.cleanCounts()).keySet(),
                    "messageIds on the clean topic");
        }
    }

    private static ServiceProcess started(RawTopic topic, List<ServiceProcess> instances) throws Exception {
        return started(topic.dedupProperties(), instances);
    }

    /** A dedup-service started with {@code properties}, ready, and added to {@code instances} to be stopped. */
    static ServiceProcess started(List<String> properties, List<ServiceProcess> instances) throws Exception {
        ServiceProcess instance = ServiceProcess.launch("dedup-service", properties);
        instances.add(instance);
        instance.awaitReady();
        return instance;
    }

    private static void awaitStored(StoredRows stored, String source, LocalDate day, int count) throws Exception {
        DedupDuplicatesIT.await(() -> stored.rows(source, List.of(day)).size() >= count, count + " events stored");
    }
}
