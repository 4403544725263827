package io.tidemark.e2e;

import io.tidemark.testsupport.PrivateStack;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cassandra stopped in the middle of a stream and started again, on a private Kafka + Cassandra:
 * dedup-service reports not ready and commits nothing it could not store while Cassandra is away,
 * survives, becomes ready again, and in the end every event has exactly one row.
 */
class DedupCassandraOutageIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final int BEFORE = 1500;
    private static final int DURING = 1500;
    private static final Duration OUTAGE = Duration.ofSeconds(15);

    @Test
    void eventsSentWhileCassandraIsDownAreStoredOnceWhenItIsBack() throws Exception {
        String source = "dedup-outage-" + UUID.randomUUID().toString().substring(0, 8);
        Instant time = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(1, ChronoUnit.DAYS).plus(12, ChronoUnit.HOURS);
        LocalDate day = LocalDate.ofInstant(time, ZoneOffset.UTC);
        List<String> before = DedupDuplicatesIT.ids("before", BEFORE);
        List<String> during = DedupDuplicatesIT.ids("during", DURING);

        PrivateStack stack = PrivateStack.shared();
        try (RawTopic topic = RawTopic.create(stack.kafkaBootstrap());
                StoredRows stored = new StoredRows("127.0.0.1", stack.cassandraPort())) {
            List<String> properties = new ArrayList<>(topic.dedupProperties());
            properties.add("quarkus.cassandra.contact-points=127.0.0.1:" + stack.cassandraPort());
            ServiceProcess dedup = ServiceProcess.launch("dedup-service", properties);
            try {
                dedup.awaitReady();
                for (int i = 0; i < before.size(); i++) {
                    topic.send(RawTopic.event(source, before.get(i), time.plusMillis(i)));
                    if (i % 3 == 0) {
                        topic.send(RawTopic.event(source, before.get(i), time.plusMillis(i)));
                    }
                }
                topic.flush();
                DedupDuplicatesIT.await(() -> stored.rows(source, List.of(day)).size() >= BEFORE / 3,
                        "a third of the first events is stored");

                stack.stopCassandra();
                DedupDuplicatesIT.await(() -> ServiceProcess.status(HTTP, dedup.managementUri("/q/health/ready")) == 503,
                        "dedup reports not ready without Cassandra");
                for (int i = 0; i < during.size(); i++) {
                    topic.send(RawTopic.event(source, during.get(i), time.plusSeconds(60).plusMillis(i)));
                    if (i % 3 == 0) {
                        topic.send(RawTopic.event(source, during.get(i), time.plusSeconds(60).plusMillis(i)));
                    }
                }
                topic.flush();
                Thread.sleep(OUTAGE.toMillis());
                assertTrue(dedup.isAlive(), "dedup survives the outage");
                assertFalse(topic.allConsumed(), "nothing sent while Cassandra was down can be committed");
                assertEquals(200, ServiceProcess.status(HTTP, dedup.managementUri("/q/health/live")), "dedup stays live during the outage");

                stack.startCassandra();
                DedupDuplicatesIT.awaitConsumed(topic);
                DedupDuplicatesIT.await(() -> ServiceProcess.status(HTTP, dedup.managementUri("/q/health/ready")) == 200,
                        "dedup is ready again once Cassandra is back");
            } finally {
                // Every record is committed: see ServiceProcess.closeInBackground.
                dedup.closeInBackground();
            }

            List<String> all = new ArrayList<>(before);
            all.addAll(during);
            assertEquals(DedupDuplicatesIT.once(all), StoredRows.counts(stored.rows(source, List.of(day))),
                    "rows per messageId");
            assertEquals(DedupDuplicatesIT.once(all).keySet(), new TreeMap<>(topic.cleanCounts()).keySet(),
                    "messageIds on the clean topic");
        }
    }
}
