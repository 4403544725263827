package io.tidemark.dedup.repository;

import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.ExecutionInfo;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Claims written to the real Cassandra, which judges the batches they are written in. */
@QuarkusTest
class MessageLedgerTest {

    /** Where the driver logs the warnings Cassandra returns with a response. */
    private static final String DRIVER_REQUESTS = "com.datastax.oss.driver.internal.core.cql.CqlRequestHandler";

    @Inject
    MessageLedger ledger;

    @Inject
    QuarkusCqlSession session;

    private final List<String> serverWarnings = new CopyOnWriteArrayList<>();
    private final Handler collector = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                serverWarnings.add(String.valueOf(record.getMessage()) + " " + List.of(record.getParameters() == null
                        ? new Object[0] : record.getParameters()));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void listen() {
        Logger.getLogger(DRIVER_REQUESTS).addHandler(collector);
    }

    @AfterEach
    void stopListening() {
        Logger.getLogger(DRIVER_REQUESTS).removeHandler(collector);
    }

    @Test
    void claimsOfManyPartitionsAreAllWrittenAndCassandraWarnsOfNoBatch() {
        String source = "ledger-test-" + UUID.randomUUID().toString().substring(0, 8);
        Instant time = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Map<MessageLedger.Partition, List<MessageLedger.Claim>> claims = new LinkedHashMap<>();
        long offset = 0;
        // A batch as moderate rates make it (a few claims in each of many partitions), one partition with
        // more claims than one request holds, and ids far longer than a UUID.
        for (short bucket = 0; bucket < MessageLedger.BUCKETS; bucket++) {
            int count = bucket == 7 ? 250 : 1 + bucket % 9;
            List<MessageLedger.Claim> partition = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String messageId = (bucket % 5 == 0 ? "x".repeat(180) + "-" : "") + UUID.randomUUID();
                partition.add(new MessageLedger.Claim(messageId, time, new MessageLedger.Owner(3, offset++), (short) (i % 8)));
            }
            claims.put(new MessageLedger.Partition(source, bucket), partition);
        }

        ledger.record(claims).await().atMost(Duration.ofSeconds(30));

        for (Map.Entry<MessageLedger.Partition, List<MessageLedger.Claim>> partition : claims.entrySet()) {
            List<String> ids = partition.getValue().stream().map(MessageLedger.Claim::messageId).toList();
            Map<String, MessageLedger.Claim> found = ledger.find(source, partition.getKey().bucket(), ids)
                    .await().atMost(Duration.ofSeconds(30));
            assertEquals(ids.size(), found.size(), "every claim of bucket " + partition.getKey().bucket());
            for (MessageLedger.Claim claim : partition.getValue()) {
                MessageLedger.Claim read = found.get(claim.messageId());
                assertEquals(claim.owner(), read.owner());
                assertEquals(claim.indexBucket(), read.indexBucket());
                assertEquals(time, read.eventTime());
            }
        }
        // The driver logs a response's warnings on its event loop, possibly after the request completed.
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(serverWarnings::isEmpty);
    }

    /** The check above can fail: a batch over Cassandra's thresholds is warned of, and the warning seen. */
    @Test
    void aBatchOverCassandrasThresholdsIsWarnedOf() {
        String source = "ledger-test-" + UUID.randomUUID().toString().substring(0, 8);
        BatchStatementBuilder batch = BatchStatement.builder(DefaultBatchType.UNLOGGED);
        for (int bucket = 0; bucket < 20; bucket++) {
            for (int i = 0; i < 5; i++) {
                batch.addStatement(SimpleStatement.newInstance("INSERT INTO tidemark.message_claims (source, bucket, "
                        + "message_id, event_time) VALUES (?, ?, ?, ?)", source, (short) bucket,
                        UUID.randomUUID().toString(), Instant.now()));
            }
        }
        ExecutionInfo info = session.execute(batch.build()).getExecutionInfo();

        assertFalse(info.getWarnings().isEmpty(), "Cassandra warns of 20 partitions in one batch");
        // and the driver's log carries it, which the check above listens to
        await().atMost(Duration.ofSeconds(3)).until(() -> !serverWarnings.isEmpty());
    }
}
