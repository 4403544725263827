package io.tidemark.bench.dedup;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatementBuilder;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.event.EventIndexLayout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * The baseline: a plain DataStax-driver program writing the same rows into the same table, async
 * inserts with at most {@code concurrency} in flight. No ledger, no Kafka, no dedup.
 */
final class DriverBaseline extends DriverProgram {

    // The same statement dedup-service writes (EventIndexRepository), TTL included.
    static final String INSERT = "INSERT INTO tidemark.events_by_day (source, event_date, bucket, "
            + "event_time, message_id, type, event, user_id, anonymous_id, group_id, previous_id, properties, traits, "
            + "context, received_at, sent_at, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            + "USING TTL ?";
    private static final int TTL_SECONDS = (int) Duration.ofDays(400).toSeconds();

    private final PreparedStatement insert;
    private final int concurrency;

    DriverBaseline(CqlSession session, int concurrency) {
        super(session);
        this.insert = session.prepare(INSERT);
        this.concurrency = concurrency;
    }

    @Override
    void write(List<CollectedEvent> events, IntConsumer stored) throws Exception {
        Semaphore inFlight = new Semaphore(concurrency);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (CollectedEvent e : events) {
            inFlight.acquire();
            if (failure.get() != null) {
                break;
            }
            session.executeAsync(row(insert, e, EventIndexLayout.bucket(e.messageId()))).whenComplete((done, error) -> {
                        if (error != null) {
                            failure.compareAndSet(null, error);
                        } else {
                            stored.accept(1);
                        }
                        inFlight.release();
                    });
        }
        inFlight.acquire(concurrency);
        if (failure.get() != null) {
            throw new IllegalStateException("baseline insert failed", failure.get());
        }
    }

    /** The row of {@code e} in {@code bucket}, bound as dedup-service binds it. */
    static BoundStatement row(PreparedStatement insert, CollectedEvent e, short bucket) {
        Object[] values = {e.source(), EventIndexLayout.eventDay(e.timestamp()), bucket, e.timestamp(), e.messageId(),
                e.type().wireName(), e.event(), e.userId(), e.anonymousId(), e.groupId(), e.previousId(),
                EventCodec.toJsonText(e.properties()), EventCodec.toJsonText(e.traits()), EventCodec.toJsonText(e.context()),
                e.receivedAt(), e.sentAt(), null, TTL_SECONDS};
        // Absent values unset, not null (a null is a tombstone), exactly as dedup-service binds them.
        BoundStatementBuilder bound = insert.boundStatementBuilder(values);
        for (int i = 0; i < values.length; i++) {
            if (values[i] == null) {
                bound = bound.unset(i);
            }
        }
        return bound.build();
    }
}
