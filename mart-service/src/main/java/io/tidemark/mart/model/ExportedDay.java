package io.tidemark.mart.model;

import java.time.Instant;
import java.time.LocalDate;

/**
 * One exported (source, UTC day): when, which change it covers (the day's change count, null if
 * exported before counts existed, and the latest change time then), and what its files hold.
 */
public record ExportedDay(String source, LocalDate date, Instant exportedAt, Long coversChanges,
        Instant coversChangedAt, long rows, int files, long bytes, Instant exportedThrough) {
}
