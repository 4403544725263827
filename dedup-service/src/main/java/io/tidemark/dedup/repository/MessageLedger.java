package io.tidemark.dedup.repository;

import com.datastax.oss.driver.api.core.cql.Row;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;

/** The dedup ledger: which (source, messageId) pairs were seen, and at which event time first. */
@ApplicationScoped
public class MessageLedger {

    // A lightweight transaction, so two consumers racing on the same message agree on one winner.
    private static final String CLAIM = "INSERT INTO tidemark.message_ids (source, message_id, event_time, first_seen) "
            + "VALUES (?, ?, ?, ?) IF NOT EXISTS";

    private final CqlStatements cql;

    public MessageLedger(CqlStatements cql) {
        this.cql = cql;
    }

    /** The outcome of claiming a message: whether this copy was the first, and the event time to store it at. */
    public record Claim(boolean first, Instant eventTime) {
    }

    public Uni<Claim> claim(String source, String messageId, Instant eventTime) {
        return cql.execute(CLAIM, source, messageId, eventTime, Instant.now()).map(result -> {
            // wasApplied() reads the first row, so it must be asked before the row is consumed.
            if (result.wasApplied()) {
                return new Claim(true, eventTime);
            }
            Row row = result.one();
            return new Claim(false, row.getInstant("event_time"));
        });
    }
}
