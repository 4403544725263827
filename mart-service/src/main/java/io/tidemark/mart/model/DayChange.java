package io.tidemark.mart.model;

import java.time.Instant;
import java.time.LocalDate;

/**
 * What dedup-service noted about one (source, day): how many times it changed (a counter that only
 * goes up) and when, by the clock of whichever host wrote last ({@code null} if only counted).
 */
public record DayChange(LocalDate date, long changes, Instant changedAt) {

    /**
     * Whether files exported as {@code exported} (null: never) miss a change noted here.
     *
     * <p>The count decides: it was read before the rows the files hold, so a count that differs
     * means a change the files may not have, whatever any host's clock said. Not "greater": the
     * count only goes down if someone deleted it, and then exporting once more is the safe answer.
     * Files exported before the count existed cover an unknown count, so they are exported once
     * more rather than trusted to the clock comparison that this count replaces. A later
     * {@code changed_at} still counts too: it is all a dedup host of an older version writes
     * during a rolling upgrade, and it can only add an export, never skip one.
     */
    public boolean isNewerThan(ExportedDay exported) {
        if (exported == null || exported.coversChanges() == null) {
            return true;
        }
        if (changes != exported.coversChanges()) {
            return true;
        }
        return changedAt != null
                && (exported.coversChangedAt() == null || changedAt.isAfter(exported.coversChangedAt()));
    }
}
