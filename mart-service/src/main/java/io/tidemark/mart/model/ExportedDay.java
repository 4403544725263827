package io.tidemark.mart.model;

import java.time.Instant;
import java.time.LocalDate;

/** One exported (source, UTC day): when, which change it covers, and what its files hold. */
public record ExportedDay(String source, LocalDate date, Instant exportedAt, Instant coversChangedAt, long rows,
        int files, long bytes, Instant exportedThrough) {
}
