package io.tidemark.mart.query;

import io.tidemark.mart.layout.MartLayout;
import io.tidemark.mart.layout.UserKeyHash;
import io.tidemark.mart.export.WeekUserRollups;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The (user_hash, event_date) pairs of a range of days, from the days' user rollups, and for a day
 * without one (exported before rollups, or its rollup removed) from its event files with the same
 * {@link UserKeyHash}, so mixing both kinds of day never counts a user twice.
 */
final class UserDays {

    private UserDays() {
    }

    /** The SELECT of the pairs of [from, to]; empty when no day of it has files. The caller holds the read lock. */
    static Optional<String> select(MartLayout layout, String source, LocalDate from, LocalDate to) {
        return select(layout, source, from, to, false);
    }

    /**
     * As {@link #select}, but each ISO week wholly inside [from, to] whose {@link WeekUserRollups week
     * rollup} is current comes as one pair (user_hash, the week's Monday) per user of the week: for
     * questions by week, whose answer is the same and whose read is about a seventh. Weeks without a
     * current file, and the partial weeks at either end, come day by day.
     */
    static Optional<String> selectByWeek(MartLayout layout, String source, LocalDate from, LocalDate to) {
        return select(layout, source, from, to, true);
    }

    private static Optional<String> select(MartLayout layout, String source, LocalDate from, LocalDate to,
            boolean byWeek) {
        WeekUserRollups weeks = new WeekUserRollups(layout);
        List<String> parts = new ArrayList<>();
        List<String> weekFiles = new ArrayList<>();
        List<String> rollups = new ArrayList<>();
        List<String> eventFiles = new ArrayList<>();
        for (LocalDate day = from; !day.isAfter(to); day = day.plusDays(1)) {
            if (byWeek && day.getDayOfWeek() == DayOfWeek.MONDAY && !day.plusDays(6).isAfter(to)) {
                Optional<Path> week = weeks.current(source, day);
                if (week.isPresent()) {
                    weekFiles.add("'" + MartSql.quoted(week.get().toString()) + "'");
                    day = day.plusDays(6);
                    continue;
                }
            }
            Path rollup = layout.usersRollup(source, day);
            if (Files.isRegularFile(rollup)) {
                rollups.add(rollup.toString());
            } else {
                eventFiles.addAll(QueryPool.eventFiles(layout.dayDir(source, day)));
            }
        }
        if (!weekFiles.isEmpty()) {
            // One read of every week file, the Monday from the Hive key week= of its path: a UNION of one
            // read per week made DuckDB's grouping by user several times slower.
            parts.add("SELECT " + UserKeyHash.COLUMN + ", week AS event_date FROM read_parquet([" + String.join(", ", weekFiles)
                    + "], hive_partitioning = true, hive_types = {'week': DATE})");
        }
        if (!rollups.isEmpty()) {
            parts.add("SELECT " + UserKeyHash.COLUMN + ", event_date FROM " + MartSql.scan(rollups));
        }
        if (!eventFiles.isEmpty()) {
            parts.add("SELECT " + UserKeyHash.ofEventRow() + " AS " + UserKeyHash.COLUMN + ", event_date FROM "
                    + MartSql.scan(eventFiles) + " WHERE " + MartSql.days(from, to) + " AND " + UserKeyHash.USER
                    + " IS NOT NULL");
        }
        return parts.isEmpty() ? Optional.empty() : Optional.of(String.join(" UNION ALL ", parts));
    }
}
