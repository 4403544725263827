package io.tidemark.mart.model;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When a day's noted changes call for exporting it again. */
class DayChangeTest {

    private static final LocalDate DAY = LocalDate.parse("2026-11-03");
    private static final Instant COVERED_AT = Instant.parse("2026-11-03T12:00:00Z");

    private static ExportedDay exported(Long coversChanges, Instant coversChangedAt) {
        return new ExportedDay("s", DAY, COVERED_AT, coversChanges, coversChangedAt, 1, 1, 1, null);
    }

    @Test
    void aDayNeverExportedIsNewer() {
        assertTrue(new DayChange(DAY, 1, COVERED_AT).isNewerThan(null));
    }

    @Test
    void theSameCountAndTimeAreCovered() {
        assertFalse(new DayChange(DAY, 3, COVERED_AT).isNewerThan(exported(3L, COVERED_AT)));
    }

    @Test
    void aHigherCountWithAnEarlierTimeIsNewer() {
        // The change of a host whose clock is behind: the count went up, its changed_at did not.
        assertTrue(new DayChange(DAY, 4, COVERED_AT.minusSeconds(3600)).isNewerThan(exported(3L, COVERED_AT)));
    }

    @Test
    void aLowerCountIsNewer() {
        // Only a deleted counter goes down: exporting once more is safe, trusting old files is not.
        assertTrue(new DayChange(DAY, 1, COVERED_AT).isNewerThan(exported(3L, COVERED_AT)));
    }

    @Test
    void filesExportedBeforeCountsAreNotTrusted() {
        assertTrue(new DayChange(DAY, 3, COVERED_AT.minusSeconds(60)).isNewerThan(exported(null, COVERED_AT)));
    }

    @Test
    void aLaterTimeFromAHostThatDoesNotCountIsNewer() {
        assertTrue(new DayChange(DAY, 3, COVERED_AT.plusSeconds(1)).isNewerThan(exported(3L, COVERED_AT)));
    }

    @Test
    void aCountOnlyDayIsCoveredByItsCount() {
        assertFalse(new DayChange(DAY, 2, null).isNewerThan(exported(2L, null)));
        assertTrue(new DayChange(DAY, 2, COVERED_AT).isNewerThan(exported(2L, null)));
    }
}
