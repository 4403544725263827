package io.tidemark.mart.export;

import io.tidemark.mart.layout.MartLayout;
import io.tidemark.mart.model.DayChange;
import io.tidemark.mart.model.ExportedDay;
import io.tidemark.mart.model.HourRange;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * What an export of a day reads again: the whole day, or only the hour slices of its files that a
 * change touched, keeping the files of the others as they are.
 *
 * <p>A day is only ever cut into slices when it is larger than one target file (DayExporter), so a
 * late event in a small day rewrites that one file, and a late event in a large day rewrites the
 * files of its slice: the day keeps few files, each near the target size, and the cost of a late
 * event is one slice's rows, not the day's.
 */
public record SlicePlan(List<HourRange> reread, List<String> kept) {

    public static final SlicePlan WHOLE_DAY = new SlicePlan(List.of(HourRange.WHOLE_DAY), List.of());

    public SlicePlan {
        reread = List.copyOf(reread);
        kept = List.copyOf(kept);
    }

    public boolean whole() {
        return kept.isEmpty();
    }

    /**
     * The plan for a day whose files are {@code dayFiles} (name and size of each file in its
     * directory) and were exported as {@code exported}, now that dedup noted {@code change}. Anything
     * that does not let the changed hours be told, event files other than those the export recorded
     * (not as many, or not as many bytes: files of an older export, restored or mirrored while the
     * ledger moved on), or files whose slices do not tile the day, means the whole day.
     */
    public static SlicePlan of(DayChange change, ExportedDay exported, Map<String, Long> dayFiles) {
        OptionalInt changed = change.hoursChangedSince(exported);
        if (changed.isEmpty()) {
            return WHOLE_DAY;
        }
        Map<String, Long> parts = new TreeMap<>();
        dayFiles.forEach((name, size) -> {
            if (MartLayout.isPart(name)) {
                parts.put(name, size);
            }
        });
        if (parts.size() != exported.files()
                || parts.values().stream().mapToLong(Long::longValue).sum() != exported.bytes()) {
            return WHOLE_DAY;
        }
        TreeMap<Integer, HourRange> slices = new TreeMap<>();
        TreeMap<Integer, List<String>> files = new TreeMap<>();
        for (String name : parts.keySet()) {
            Optional<HourRange> hours = MartLayout.hoursOf(name);
            if (hours.isEmpty()) {
                return WHOLE_DAY;
            }
            HourRange other = slices.putIfAbsent(hours.get().from(), hours.get());
            if (other != null && !other.equals(hours.get())) {
                return WHOLE_DAY;
            }
            files.computeIfAbsent(hours.get().from(), from -> new ArrayList<>()).add(name);
        }
        int next = 0;
        for (HourRange slice : slices.values()) {
            if (slice.from() != next) {
                return WHOLE_DAY;
            }
            next = slice.to();
        }
        if (next != HourRange.HOURS) {
            return WHOLE_DAY;
        }
        List<HourRange> reread = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        for (HourRange slice : slices.values()) {
            if (slice.touches(changed.getAsInt())) {
                reread.add(slice);
            } else {
                kept.addAll(files.get(slice.from()));
            }
        }
        return kept.isEmpty() ? WHOLE_DAY : new SlicePlan(reread, kept);
    }

    @Override
    public String toString() {
        return whole() ? "whole day" : "hours " + String.join(", ", reread.stream().map(HourRange::toString).toList());
    }
}
