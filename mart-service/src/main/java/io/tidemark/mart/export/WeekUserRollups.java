package io.tidemark.mart.export;

import io.tidemark.mart.layout.MartLayout;
import io.tidemark.mart.layout.UserKeyHash;
import org.duckdb.DuckDBConnection;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.stream.Collectors;

/**
 * The distinct users of one ISO week (Monday to Sunday, UTC) of a source, one {@link UserKeyHash}
 * per row (unsorted: only read whole), made from the week's per-day user rollups: {@code <root>/_weekly/source=<id>/week=<monday>/users-<fingerprint>.rollup}.
 *
 * <p>A week depends on seven day directories, each swapped in on its own, so its file cannot ride
 * along with one day's rename. Instead its name carries a fingerprint of the day rollups it was made
 * from (each one's file key, modification time in nanoseconds and size; every export writes a new
 * file). A reader computes the fingerprint of the days there now and reads the week's file only if
 * one of that name exists; otherwise it reads the days. So a week file can be missing (never made, a
 * crash between a day's swap and the week's rebuild, days exported before weeks existed) but never
 * stale: a day re-exported after it was made changes the fingerprint.
 */
public record WeekUserRollups(MartLayout layout) {

    private static final String PREFIX = "users-";
    private static final String SUFFIX = ".rollup";
    private static final int DAYS = 7;
    private static final int FINGERPRINT_BYTES = 12;

    /** The Monday of the ISO week of {@code day}. */
    public static LocalDate monday(LocalDate day) {
        return day.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
    }

    /**
     * The week's file, if it was made from exactly the day rollups there now. The caller holds the
     * read lock, so no swap or rebuild replaces a file between this check and the query.
     */
    public Optional<Path> current(String source, LocalDate monday) {
        return fingerprint(source, monday).map(print -> file(source, monday, print)).filter(Files::isRegularFile);
    }

    /**
     * Makes the week starting on {@code monday} again if the file of its current fingerprint is missing, and
     * removes the week's other files. Called by the exporter once a cycle or a mirror sync has swapped
     * in the source's days, under the source's export lock (so no day of the week changes meanwhile);
     * blocking.
     */
    void rebuild(DuckDBConnection duck, Lock swapping, String source, LocalDate monday) throws SQLException, IOException {
        Path dir = layout.weekDir(source, monday);
        Optional<Path> target = fingerprint(source, monday).map(print -> file(source, monday, print));
        Path written = null;
        if (target.isPresent() && !Files.exists(target.get())) {
            List<String> rollups = new ArrayList<>();
            for (int i = 0; i < DAYS; i++) {
                Path rollup = layout.usersRollup(source, monday.plusDays(i));
                if (Files.isRegularFile(rollup)) {
                    rollups.add("'" + DayExporter.literal(rollup) + "'");
                }
            }
            Files.createDirectories(dir);
            written = dir.resolve("_" + UUID.randomUUID() + ".tmp");
            try (Statement sql = duck.createStatement()) {
                sql.execute("COPY (SELECT DISTINCT " + UserKeyHash.COLUMN + " FROM read_parquet(["
                        + String.join(", ", rollups) + "])) TO '"
                        + DayExporter.literal(written) + "' (FORMAT parquet, COMPRESSION zstd)");
            }
        }
        if (!Files.isDirectory(dir)) {
            return;
        }
        // Under the swap lock: a reader holds the read lock from its check of the name to its query.
        swapping.lock();
        try {
            if (written != null) {
                Files.move(written, target.get(), StandardCopyOption.ATOMIC_MOVE);
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                for (Path file : files) {
                    if (target.isEmpty() || !file.equals(target.get())) {
                        Files.deleteIfExists(file);
                    }
                }
            }
        } finally {
            swapping.unlock();
        }
    }

    private Path file(String source, LocalDate monday, String fingerprint) {
        return layout.weekDir(source, monday).resolve(PREFIX + fingerprint + SUFFIX);
    }

    /**
     * The fingerprint of the week's day rollups; empty when no day of the week has one, or a day has
     * events but no user rollup (exported before rollups): such a week is read day by day.
     */
    Optional<String> fingerprint(String source, LocalDate monday) {
        List<String> parts = new ArrayList<>();
        boolean any = false;
        for (int i = 0; i < DAYS; i++) {
            LocalDate day = monday.plusDays(i);
            try {
                BasicFileAttributes file = Files.readAttributes(layout.usersRollup(source, day), BasicFileAttributes.class);
                parts.add(day + ":" + file.fileKey() + ":" + file.lastModifiedTime().to(TimeUnit.NANOSECONDS) + ":"
                        + file.size());
                any = true;
            } catch (NoSuchFileException e) {
                if (Files.exists(layout.dayDir(source, day))) {
                    return Optional.empty();
                }
                parts.add(day + ":none");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (!any) {
            return Optional.empty();
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(parts.stream().collect(Collectors.joining(";")).getBytes(StandardCharsets.UTF_8));
            return Optional.of(HexFormat.of().formatHex(digest, 0, FINGERPRINT_BYTES));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
