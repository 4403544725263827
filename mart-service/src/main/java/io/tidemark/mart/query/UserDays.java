package io.tidemark.mart.query;

import io.tidemark.mart.export.MartLayout;
import io.tidemark.mart.export.UserKeyHash;

import java.nio.file.Files;
import java.nio.file.Path;
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
        List<String> rollups = new ArrayList<>();
        List<String> eventFiles = new ArrayList<>();
        for (LocalDate day = from; !day.isAfter(to); day = day.plusDays(1)) {
            Path rollup = layout.usersRollup(source, day);
            if (Files.isRegularFile(rollup)) {
                rollups.add(rollup.toString());
            } else {
                eventFiles.addAll(QueryPool.eventFiles(layout.dayDir(source, day)));
            }
        }
        List<String> parts = new ArrayList<>();
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
