package io.tidemark.mart.export;

import io.tidemark.mart.model.DayChange;
import io.tidemark.mart.model.ExportedDay;
import io.tidemark.mart.model.HourRange;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which slices of a day an export reads again, from the hours' counts and the files in place. */
class SlicePlanTest {

    private static final LocalDate DAY = LocalDate.parse("2026-11-03");
    private static final Instant AT = Instant.parse("2026-11-04T00:00:00Z");
    private static final List<String> THREE_SLICES = List.of("part-h00-08-00000.parquet", "part-h08-16-00000.parquet",
            "part-h08-16-00001.parquet", "part-h16-24-00000.parquet", "_distinct_users.rollup", "_manifest.json");

    private static List<Long> hours(long each) {
        return new ArrayList<>(Collections.nCopies(24, each));
    }

    private static ExportedDay exported(long changes, long hourMarked, List<Long> hours) {
        return new ExportedDay("s", DAY, AT, changes, AT, hours, hourMarked, 10, 4, 100, null);
    }

    @Test
    void aChangeInOneHourRereadsItsSliceAndKeepsTheOthersFiles() {
        List<Long> now = hours(1);
        now.set(9, 2L);
        SlicePlan plan = SlicePlan.of(new DayChange(DAY, 6, AT, 6, now), exported(5, 5, hours(1)), THREE_SLICES);
        assertEquals(List.of(new HourRange(8, 16)), plan.reread());
        assertEquals(List.of("part-h00-08-00000.parquet", "part-h16-24-00000.parquet"), plan.kept());
        assertEquals("hours 08-16", plan.toString());
    }

    @Test
    void changesInSeveralSlicesRereadEachOfThem() {
        List<Long> now = hours(1);
        now.set(0, 3L);
        now.set(23, 2L);
        SlicePlan plan = SlicePlan.of(new DayChange(DAY, 7, AT, 7, now), exported(5, 5, hours(1)), THREE_SLICES);
        assertEquals(List.of(new HourRange(0, 8), new HourRange(16, 24)), plan.reread());
        assertEquals(List.of("part-h08-16-00000.parquet", "part-h08-16-00001.parquet"), plan.kept());
    }

    @Test
    void theWholeDayWhenTheChangedHoursCannotBeTold() {
        List<Long> now = hours(1);
        now.set(9, 2L);
        // Never exported, or exported before hours were counted.
        assertEquals(SlicePlan.WHOLE_DAY, SlicePlan.of(new DayChange(DAY, 6, AT, 6, now), null, THREE_SLICES));
        assertEquals(SlicePlan.WHOLE_DAY, SlicePlan.of(new DayChange(DAY, 6, AT, 6, now),
                new ExportedDay("s", DAY, AT, 5L, AT, 10, 4, 100, null), THREE_SLICES));
        // A dedup host that counts no hours marked the day as well: changes moved more than hour_marked.
        assertEquals(SlicePlan.WHOLE_DAY, SlicePlan.of(new DayChange(DAY, 7, AT, 6, now), exported(5, 5, hours(1)), THREE_SLICES));
        // Only such a host marked it.
        assertEquals(SlicePlan.WHOLE_DAY, SlicePlan.of(new DayChange(DAY, 6, AT, 5, hours(1)), exported(5, 5, hours(1)), THREE_SLICES));
        // The count did not move (a later changed_at from a host that does not count at all).
        assertEquals(SlicePlan.WHOLE_DAY, SlicePlan.of(new DayChange(DAY, 5, AT.plusSeconds(1), 5, hours(1)),
                exported(5, 5, hours(1)), THREE_SLICES));
    }

    @Test
    void theWholeDayWhenItsFilesAreNotSlicesThatTileIt() {
        List<Long> now = hours(1);
        now.set(9, 2L);
        DayChange change = new DayChange(DAY, 6, AT, 6, now);
        ExportedDay before = exported(5, 5, hours(1));
        assertEquals(SlicePlan.WHOLE_DAY, SlicePlan.of(change, before, List.of("part-00000.parquet")), "a day written whole");
        assertEquals(SlicePlan.WHOLE_DAY, SlicePlan.of(change, before, List.of("part-00000.parquet", "part-00001.parquet")));
        assertEquals(SlicePlan.WHOLE_DAY, SlicePlan.of(change, before,
                List.of("part-h00-08-00000.parquet", "part-h16-24-00000.parquet")), "a gap");
        assertEquals(SlicePlan.WHOLE_DAY, SlicePlan.of(change, before,
                List.of("part-h00-08-00000.parquet", "part-h00-10-00000.parquet", "part-h10-24-00000.parquet")), "an overlap");
        assertEquals(SlicePlan.WHOLE_DAY, SlicePlan.of(change, before, List.of()), "no files");
        // Every slice touched: reading them all is reading the day.
        assertEquals(SlicePlan.WHOLE_DAY, SlicePlan.of(change, before, List.of("part-h00-24-00000.parquet")));
    }
}
