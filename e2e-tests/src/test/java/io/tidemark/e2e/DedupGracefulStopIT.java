package io.tidemark.e2e;

import io.tidemark.testsupport.ServiceProcess;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A dedup-service stopped the way Kubernetes stops a pod on a rolling update (SIGTERM) while events
 * stream in. The batches it holds must finish (rows, day marks, clean topic) and be committed before
 * it lets go of Cassandra: then the instance after it redoes nothing and no step fails on the way
 * out. Quarkus closes the Cassandra session before it stops the Kafka consumers, so without an
 * explicit drain every batch in flight failed on a closed session, was never acknowledged, and was
 * delivered again to the next owner.
 */
class DedupGracefulStopIT {

    private static final int EVENTS = 4_000;
    /** Events sent between pauses, and the pause: a steady stream of about a thousand events a second. */
    private static final int BURST = 50;
    private static final long PAUSE_MILLIS = 50;

    @Test
    void aStopUnderLoadStoresAndCommitsWhatItTookBeforeItClosesCassandra() throws Exception {
        String source = "dedup-stop-" + UUID.randomUUID().toString().substring(0, 8);
        Instant time = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(1, ChronoUnit.DAYS).plus(12, ChronoUnit.HOURS);
        LocalDate day = LocalDate.ofInstant(time, ZoneOffset.UTC);
        List<String> ids = DedupDuplicatesIT.ids("s", EVENTS);

        try (RawTopic topic = RawTopic.create("localhost:9092"); StoredRows stored = new StoredRows("127.0.0.1", 9042)) {
            List<String> properties = new ArrayList<>(topic.dedupProperties());
            // The shipped commit interval. The connector's own wait at a stop (now off) watched a count only
            // this periodic commit lowers, so whether it saw the records done was a race with this timer.
            properties.add("mp.messaging.incoming.events-raw.auto.commit.interval.ms=5000");
            List<ServiceProcess> instances = new ArrayList<>();
            AtomicReference<Throwable> producerFailure = new AtomicReference<>();
            AtomicBoolean sending = new AtomicBoolean(true);
            Thread stream = new Thread(() -> {
                try {
                    for (int i = 0; i < ids.size() && sending.get(); i++) {
                        topic.send(RawTopic.event(source, ids.get(i), time.plusMillis(i)));
                        if (i % BURST == BURST - 1) {
                            topic.flush();
                            Thread.sleep(PAUSE_MILLIS);
                        }
                    }
                    topic.flush();
                } catch (Throwable e) {
                    producerFailure.set(e);
                }
            }, "raw-stream");
            try {
                ServiceProcess first = DedupRebalanceIT.started(properties, instances);
                stream.start();
                DedupDuplicatesIT.await(() -> stored.rows(source, List.of(day)).size() >= EVENTS / 4,
                        EVENTS / 4 + " events stored");

                first.close();

                int storedByFirst = stored.rows(source, List.of(day)).size();
                // Read before the next instance starts: it writes its log where this one's is.
                String log = first.logText();
                System.out.printf("the stopped instance stored %d of %d events; its stop:%n%s%n", storedByFirst, EVENTS,
                        stopLines(log));
                assertEquals(storedByFirst, topic.committedRecords(),
                        () -> "events the stopped instance stored against the records it committed: any more were"
                                + " stored but left to the next instance to redo; its stop, as it logged it:\n"
                                + stopLines(log));
                assertNull(LogLines.first(log, "failed, retrying"), "a step of a batch failed during the stop");
                assertNull(LogLines.first(log, "unprocessed messages after the closing timeout"),
                        "records still in processing when the consumers closed");
                assertNotNull(LogLines.first(log, "raw records taken before the stop stored and acknowledged"),
                        "the drain finished before the consumers closed");
                assertNull(LogLines.first(log, "not all stored after"), "the drain timed out");
                // The stop paused the consumers while events still streamed in. Before, it looked for them
                // under the channel's name while the connector had named them events-raw$1..$6: none was
                // paused, and the drain ended only when the stream did, having stored all of it.
                assertTrue(storedByFirst < EVENTS, () -> "the stopped instance stored all " + EVENTS
                        + " events: its consumers were not paused while the stream went on\n" + stopLines(log));
                String committed = LogLines.first(log, "raw offsets of ");
                assertNotNull(committed, () -> "no commit before the consumers closed\n" + stopLines(log));
                assertFalse(committed.contains("raw offsets of 0 partitions"), committed);
                assertNull(LogLines.first(log, "could not commit a raw consumer"), () -> stopLines(log));

                DedupRebalanceIT.started(properties, instances);
                stream.join();
                assertNull(producerFailure.get());
                DedupDuplicatesIT.awaitConsumed(topic);
            } finally {
                sending.set(false);
                stream.join();
                instances.forEach(ServiceProcess::closeInBackground);
            }

            assertEquals(DedupDuplicatesIT.once(ids), StoredRows.counts(stored.rows(source, List.of(day))),
                    "rows per messageId");
        }
    }

    /** What the log says of the stop: the drain, commits, rebalances, and every warning or error. */
    private static String stopLines(String log) {
        return String.join("\n", log.lines().filter(line -> line.contains("GracefulStop") || line.contains("WARN")
                || line.contains("ERROR") || line.toLowerCase(java.util.Locale.ROOT).contains("commit")
                || line.contains("re-balance")).toList());
    }
}
