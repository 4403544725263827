package io.tidemark.dedup.service;

import io.smallrye.mutiny.Uni;
import io.tidemark.dedup.repository.EventIndexRepository;
import io.tidemark.dedup.repository.MessageLedger;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventIndexLayout;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;

/**
 * Stores each event once, whatever copies arrive.
 *
 * <p>Order matters for crash safety: claim the messageId, mark the day changed, then write the row.
 * A crash after the claim leaves a claimed message without a row; its redelivery sees the claim,
 * finds no row and completes the write at the first-seen event time. A later copy with another
 * (corrected) timestamp is therefore never stored on a second day.
 */
@ApplicationScoped
public class EventDeduplicator {

    private final MessageLedger ledger;
    private final EventIndexRepository index;

    public EventDeduplicator(MessageLedger ledger, EventIndexRepository index) {
        this.ledger = ledger;
        this.index = index;
    }

    public Uni<StoreOutcome> store(CollectedEvent event) {
        return ledger.claim(event.source(), event.messageId(), event.timestamp()).flatMap(claim -> {
            if (claim.first()) {
                return writeRow(event, claim.eventTime()).replaceWith(StoreOutcome.STORED);
            }
            return index.exists(event.source(), event.messageId(), claim.eventTime()).flatMap(exists -> exists
                    ? Uni.createFrom().item(StoreOutcome.DUPLICATE)
                    : writeRow(event, claim.eventTime()).replaceWith(StoreOutcome.COMPLETED));
        });
    }

    private Uni<Void> writeRow(CollectedEvent event, Instant eventTime) {
        return index.markChanged(event.source(), EventIndexLayout.eventDay(eventTime))
                .flatMap(marked -> index.write(event, eventTime));
    }
}
