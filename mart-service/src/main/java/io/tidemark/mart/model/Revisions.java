package io.tidemark.mart.model;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;

/**
 * The history of one (source, UTC day) in the marts: what it was first reported as, every export
 * since, and what the mart serves now. Empty revisions and a null firstReported: never exported.
 */
public record Revisions(String source, LocalDate date, Revision firstReported, List<Revision> revisions, Now now) {

    /** One export: its number from 1, when, its numbers, and their change from the export before. */
    public record Revision(int number, Instant exportedAt, long events, long users, long eventsChange,
            long usersChange) {
    }

    /**
     * What the daily API serves for the day now, the export it comes from, and whether events stored
     * since wait for the next export cycle.
     */
    public record Now(long events, long users, Instant exportedAt, boolean pendingChanges) {
    }
}
