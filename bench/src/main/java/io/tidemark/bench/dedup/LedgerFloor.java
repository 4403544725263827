package io.tidemark.bench.dedup;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import io.tidemark.event.CollectedEvent;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * A second baseline: a plain DataStax-driver program making the three Cassandra requests any dedup with
 * its ledger in Cassandra makes for an event (look its messageId up, claim it, write its row), with
 * dedup-service's statements, tables and groupings ({@link LedgerRequests}), and nothing else: no Kafka,
 * no marks of changed days, none of dedup's code. Dedup can be no faster than this on the same machine,
 * so it says how much of the distance to plain inserts is Cassandra's work and how much is dedup's own.
 */
final class LedgerFloor extends DriverProgram {

    // The statements of dedup-service's MessageLedger, on the same table with the same TTL (its 30-day window).
    private static final String FIND = "SELECT message_id, event_time, owner_partition, owner_offset, index_bucket "
            + "FROM tidemark.message_claims WHERE source = ? AND bucket = ? AND message_id IN ?";
    private static final String CLAIM = "INSERT INTO tidemark.message_claims (source, bucket, message_id, "
            + "event_time, first_seen, owner_partition, owner_offset, index_bucket) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            + "USING TTL ?";
    private static final int CLAIM_TTL_SECONDS = (int) Duration.ofDays(30).toSeconds();
    /** dedup-service's {@code pipeline.max-batch-size}: records of one raw partition claimed and stored together. */
    private static final int BATCH = 500;

    private final PreparedStatement find;
    private final PreparedStatement claim;
    private final PreparedStatement insert;
    private final int batchesInFlight;
    private final AtomicInteger found = new AtomicInteger();
    private volatile LedgerRequests.Layout layout = LedgerRequests.Layout.ORIGINAL;

    LedgerFloor(CqlSession session, int batchesInFlight) {
        super(session);
        this.find = session.prepare(FIND);
        this.claim = session.prepare(CLAIM);
        this.insert = session.prepare(DriverBaseline.INSERT);
        this.batchesInFlight = batchesInFlight;
    }

    /** Places the next rounds' messages as dedup places those of a source with {@code recorded} layouts. */
    void follow(LedgerRequests.Layout recorded) {
        this.layout = recorded;
    }

    @Override
    void write(List<CollectedEvent> events, IntConsumer stored) throws Exception {
        Semaphore inFlight = new Semaphore(batchesInFlight);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (List<CollectedEvent> batch : LedgerRequests.batches(events, BenchTopics.PARTITIONS, BATCH)) {
            inFlight.acquire();
            if (failure.get() != null) {
                break;
            }
            // Dedup's order: every claim of a batch is looked up before any is written, and rows follow claims.
            LedgerRequests.Layout placing = layout;
            all(LedgerRequests.lookups(batch, placing).stream().map(this::lookUp).toList())
                    .thenCompose(looked -> all(LedgerRequests.claims(batch, placing).stream().map(this::claim).toList()))
                    .thenCompose(claimed -> all(LedgerRequests.rows(batch, placing).stream().map(this::rows).toList()))
                    .whenComplete((done, error) -> {
                        if (error != null) {
                            failure.compareAndSet(null, error);
                        } else {
                            stored.accept(batch.size());
                        }
                        inFlight.release();
                    });
        }
        inFlight.acquire(batchesInFlight);
        if (failure.get() != null) {
            throw new IllegalStateException("ledger floor failed", failure.get());
        }
        if (found.get() > 0) {
            throw new IllegalStateException(found.get() + " claims found for messages never sent before");
        }
    }

    private CompletionStage<?> lookUp(LedgerRequests.Lookup lookup) {
        return session.executeAsync(find.bind(lookup.source(), lookup.bucket(), lookup.messageIds()))
                .thenApply(result -> {
                    result.currentPage().forEach(row -> found.incrementAndGet());
                    return result;
                });
    }

    private CompletionStage<AsyncResultSet> claim(List<LedgerRequests.Claim> claims) {
        Instant now = Instant.now();
        List<BoundStatement> statements = new ArrayList<>(claims.size());
        for (LedgerRequests.Claim c : claims) {
            // A made-up owner: what dedup writes there is a raw-topic offset, of the same type and size.
            statements.add(claim.bind(c.source(), c.bucket(), c.event().messageId(), c.event().timestamp(), now, 0,
                    (long) statements.size(), c.rowBucket(), CLAIM_TTL_SECONDS));
        }
        return session.executeAsync(BatchStatement.newInstance(DefaultBatchType.UNLOGGED, statements.toArray(BoundStatement[]::new)));
    }

    private CompletionStage<AsyncResultSet> rows(List<LedgerRequests.Placed> rows) {
        return session.executeAsync(BatchStatement.newInstance(DefaultBatchType.UNLOGGED,
                rows.stream().map(r -> DriverBaseline.row(insert, r.event(), r.bucket())).toArray(BoundStatement[]::new)));
    }

    private static CompletableFuture<Void> all(List<? extends CompletionStage<?>> stages) {
        return CompletableFuture.allOf(stages.stream().map(CompletionStage::toCompletableFuture)
                .toArray(CompletableFuture[]::new));
    }
}
