package io.tidemark.mart.model;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.OptionalInt;

/**
 * What dedup-service noted about one (source, day): how many times it changed (a counter that only
 * goes up) and when, by the clock of whichever host wrote last ({@code null} if only counted); how
 * many of those marks also counted their hours ({@code hourMarked}), and each UTC hour's count
 * ({@code hours}, 24 entries, or empty if never read).
 */
public record DayChange(LocalDate date, long changes, Instant changedAt, long hourMarked, List<Long> hours) {

    public DayChange {
        hours = List.copyOf(hours);
    }

    /** A change as a dedup host that counts no hours notes it. */
    public DayChange(LocalDate date, long changes, Instant changedAt) {
        this(date, changes, changedAt, 0, List.of());
    }

    /**
     * The hours whose count moved since {@code exported} was read, as a {@link io.tidemark.event.ChangedHours}
     * mask; empty when that cannot be told, and the whole day must be exported again: files exported
     * before hours were counted, a change no hour count shows (a count that did not move, or a mark by
     * a dedup host that counts no hours, which moves {@code changes - hourMarked}), or none at all.
     */
    public OptionalInt hoursChangedSince(ExportedDay exported) {
        if (exported == null || exported.coversChanges() == null || exported.coversHours() == null
                || exported.coversHourMarked() == null || hours.size() != exported.coversHours().size()
                || changes == exported.coversChanges()
                || changes - hourMarked != exported.coversChanges() - exported.coversHourMarked()) {
            return OptionalInt.empty();
        }
        int mask = 0;
        for (int hour = 0; hour < hours.size(); hour++) {
            if (!hours.get(hour).equals(exported.coversHours().get(hour))) {
                mask |= 1 << hour;
            }
        }
        return mask == 0 ? OptionalInt.empty() : OptionalInt.of(mask);
    }

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
