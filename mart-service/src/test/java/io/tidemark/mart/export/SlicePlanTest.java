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
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which slices of a day an export reads again, from the hours' counts and the files in place. */
class SlicePlanTest {

    private static final LocalDate DAY = LocalDate.parse("2026-11-03");
    private static final Instant AT = Instant.parse("2026-11-04T00:00:00Z");
    // Four event files of 25 bytes each, as the export recorded them (files 4, bytes 100), and the day's others.
    private static final Map<String, Long> THREE_SLICES = files("part-h00-08-00000.parquet", "part-h08-16-00000.parquet",
            "part-h08-16-00001.parquet", "part-h16-24-00000.parquet", "_distinct_users.rollup", "_manifest.json");

    private static Map<String, Long> files(String... names) {
        Map<String, Long> files = new TreeMap<>();
        for (String name : names) {
            files.put(name, name.startsWith("part-") ? 100L / 4 : 7L);
        }
        return files;
    }

    private static List<Long> hours(long each) {
        return new ArrayList<>(Collections.nCopies(24, each));
    }

    private static ExportedDay exported(long changes, long hourMarked, List<Long> hours) {
        return new ExportedDay("s", DAY, AT, changes, AT, hours, hourMarked, 10, 4, 100, null);
    }

    private static ExportedDay exported(int files, long bytes) {
        return new ExportedDay("s", DAY, AT, 5L, AT, hours(1), 5L, 10, files, bytes, null);
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
        assertEquals(SlicePlan.WHOLE_DAY, SlicePlan.of(change, exported(1, 25), files("part-00000.parquet")),
                "a day written whole");
        assertEquals(SlicePlan.WHOLE_DAY, SlicePlan.of(change, exported(2, 50),
                files("part-00000.parquet", "part-00001.parquet")));
        assertEquals(SlicePlan.WHOLE_DAY, SlicePlan.of(change, exported(2, 50),
                files("part-h00-08-00000.parquet", "part-h16-24-00000.parquet")), "a gap");
        assertEquals(SlicePlan.WHOLE_DAY, SlicePlan.of(change, exported(3, 75),
                files("part-h00-08-00000.parquet", "part-h00-10-00000.parquet", "part-h10-24-00000.parquet")), "an overlap");
        assertEquals(SlicePlan.WHOLE_DAY, SlicePlan.of(change, exported(0, 0), files()), "no files");
        // Every slice touched: reading them all is reading the day.
        assertEquals(SlicePlan.WHOLE_DAY, SlicePlan.of(change, exported(1, 25), files("part-h00-24-00000.parquet")));
        assertEquals(List.of(new HourRange(8, 16)), SlicePlan.of(change, before, THREE_SLICES).reread(),
                "the files the export recorded: a slice");
    }

    @Test
    void theWholeDayWhenTheFilesInPlaceAreNotThoseTheExportRecorded() {
        List<Long> now = hours(1);
        now.set(9, 2L);
        DayChange change = new DayChange(DAY, 6, AT, 6, now);
        // Files of an older export (a disk restored from a backup, a mirror that lagged): their slices may
        // lack changes the ledger says the day's files cover, so none of them can be kept.
        Map<String, Long> older = new TreeMap<>(THREE_SLICES);
        older.put("part-h00-08-00000.parquet", 20L);
        assertEquals(SlicePlan.WHOLE_DAY, SlicePlan.of(change, exported(5, 5, hours(1)), older), "other bytes");
        Map<String, Long> fewer = new TreeMap<>(THREE_SLICES);
        fewer.remove("part-h08-16-00001.parquet");
        fewer.put("part-h08-16-00000.parquet", 50L);
        assertEquals(SlicePlan.WHOLE_DAY, SlicePlan.of(change, exported(5, 5, hours(1)), fewer), "other files");
    }
}
