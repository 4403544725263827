package io.tidemark.bench.dedup;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;

import java.time.Duration;

/**
 * A busy source as dedup meets it for most of its life: more than a dedup window after its claim layout
 * last grew. For a window after a growth, a lookup also reads each message's bucket under the older
 * layouts, whose claims may still be alive; after it, under the current layout only (dedup-service's
 * {@code ClaimLayouts.lookupBuckets}). A source at a steady volume grows in its first minutes and then
 * only when its volume doubles, so the single lookup is its steady state. A bench cannot wait a month:
 * it moves the source's recorded layout decisions back by a window, which is what dedup's next layout
 * refresh reads. What it does not reproduce is a month of claims in the source's claim partitions; they
 * hold the warm-up's.
 */
final class MonthLater {

    /** How far back the decisions move: a window and its stragglers' hour, and a day to spare. */
    private static final Duration AGE = LedgerRequests.WINDOW.plus(LedgerRequests.STRAGGLERS).plusDays(1);

    private MonthLater() {
    }

    /** Moves each recorded claim layout decision of {@code source} back by more than a window; returns how many. */
    static int age(CqlSession session, String source) {
        int aged = 0;
        for (Row row : session.execute("SELECT version, decided_at FROM tidemark.claim_layouts WHERE source = ?", source)) {
            session.execute("UPDATE tidemark.claim_layouts SET decided_at = ? WHERE source = ? AND version = ?",
                    row.getInstant("decided_at").minus(AGE), source, row.getInt("version"));
            aged++;
        }
        return aged;
    }
}
