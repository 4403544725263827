package io.tidemark.mart.export;

import java.time.Instant;
import java.time.LocalDate;

/**
 * A day's export that must not be committed: the day's manifest in the bucket was written under an export lease taken
 * after this replica's, by a replica that took the source while this one was paused past its lease and that read the
 * day's rows later. Committing would put older rows in place of newer ones.
 */
final class DaySuperseded extends RuntimeException {

    DaySuperseded(String source, LocalDate day, long committedLease, long ownLease) {
        super("the bucket holds source " + source + " day " + day + " as exported under a lease taken at "
                + Instant.ofEpochMilli(committedLease) + ", after this replica's of " + Instant.ofEpochMilli(ownLease)
                + "; this export of the day is dropped");
    }
}
