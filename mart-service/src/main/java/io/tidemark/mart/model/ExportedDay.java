package io.tidemark.mart.model;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;

/**
 * One exported (source, UTC day): when, which change it covers (the day's change count, null if
 * exported before counts existed, and the latest change time then; the hours' counts and how many
 * marks counted hours, null if exported before hours were counted), and what its files hold.
 */
public record ExportedDay(String source, LocalDate date, Instant exportedAt, Long coversChanges,
        Instant coversChangedAt, List<Long> coversHours, Long coversHourMarked, long rows, int files, long bytes,
        Instant exportedThrough) {

    /** A day exported before hours were counted. */
    public ExportedDay(String source, LocalDate date, Instant exportedAt, Long coversChanges, Instant coversChangedAt,
            long rows, int files, long bytes, Instant exportedThrough) {
        this(source, date, exportedAt, coversChanges, coversChangedAt, null, null, rows, files, bytes, exportedThrough);
    }
}
