package io.tidemark.mart.query;

import io.smallrye.mutiny.Uni;
import io.tidemark.mart.config.MartConfig;
import io.tidemark.mart.export.LatenessRollup;
import io.tidemark.mart.layout.MartLayout;
import io.tidemark.mart.model.Lateness;
import io.tidemark.mart.repository.ChangeLedger;
import io.tidemark.mart.repository.ExportLedger;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Lock;

/**
 * Lateness and finality from the days' lateness rollups: a few hundred bytes per day instead of
 * their events, so a year of days and a 30-day window are read in one small query each.
 */
@ApplicationScoped
public class LatenessQueries {

    private static final String DAY_DIR = "event_date=";
    private static final long HOUR = 3600;
    private static final long DAY = 24 * HOUR;

    private final QueryPool pool;
    private final ChangeLedger changes;
    private final ExportLedger exports;
    private final MartLayout layout;
    private final MartConfig.Lateness config;

    public LatenessQueries(QueryPool pool, ChangeLedger changes, ExportLedger exports, MartConfig config) {
        this.pool = pool;
        this.changes = changes;
        this.exports = exports;
        this.layout = pool.layout();
        this.config = config.lateness();
    }

    public Uni<Lateness> lateness(String source, DateRange range) {
        return pool.submit(() -> {
            if (!changes.sourceExists(source)) {
                throw new UnknownSourceException(source);
            }
            Instant through = exports.exportedThrough(source).orElse(null);
            Map<LocalDate, Lateness.Delays> delays = new HashMap<>();
            List<LatenessEstimate.Bucket> buckets = new ArrayList<>();
            List<LocalDate> window;
            Lock reading = pool.reading();
            // Listing and reading under one read lock: a swap in between would leave the list naming gone files.
            reading.lock();
            try {
                window = window(source, LocalDate.now(ZoneOffset.UTC));
                histograms(source, range, delays);
                estimate(source, window, buckets);
            } finally {
                reading.unlock();
            }
            LatenessEstimate estimate = LatenessEstimate.of(buckets);
            Duration finalAfter = estimate.finalAfter(config.fallbackFinalAfter());
            Lateness.Window measured = new Lateness.Window(window.isEmpty() ? null : window.get(window.size() - 1),
                    window.isEmpty() ? null : window.get(0), window.size(), estimate.events(),
                    estimate.p99Seconds().orElse(null), estimate.p999Seconds().orElse(null), finalAfter.toSeconds());
            Lateness.Delays none = new Lateness.Delays(0, 0, 0, 0, 0, 0, 0);
            List<Lateness.Day> days = range.from().datesUntil(range.to().plusDays(1)).map(day -> {
                Lateness.Delays histogram = delays.getOrDefault(day, none);
                long events = histogram.upTo1h() + histogram.upTo1d() + histogram.upTo3d() + histogram.upTo7d()
                        + histogram.upTo30d() + histogram.later() + histogram.unknown();
                return new Lateness.Day(day, LatenessEstimate.isFinal(day, through, finalAfter) ? "final" : "provisional",
                        LatenessEstimate.endOf(day).plus(finalAfter), events, histogram);
            }).toList();
            return new Lateness(source, range.from(), range.to(), through, measured, days);
        });
    }

    /**
     * The latest {@code window-days} days before {@code today} that have a lateness rollup, latest first.
     * Today is left out because its events are still arriving: it would make delays look shorter.
     */
    private List<LocalDate> window(String source, LocalDate today) {
        Path dir = layout.sourceDir(source);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<LocalDate> days = new ArrayList<>();
        try (DirectoryStream<Path> dayDirs = Files.newDirectoryStream(dir, DAY_DIR + "*")) {
            for (Path dayDir : dayDirs) {
                LocalDate day = parseDay(dayDir.getFileName().toString());
                if (day != null && day.isBefore(today) && Files.isRegularFile(dayDir.resolve(MartLayout.LATENESS_ROLLUP))) {
                    days.add(day);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return days.stream().sorted(Comparator.reverseOrder()).limit(config.windowDays()).toList();
    }

    private void histograms(String source, DateRange range, Map<LocalDate, Lateness.Delays> delays) {
        List<String> files = rollups(source, range.from().datesUntil(range.to().plusDays(1)).toList());
        if (files.isEmpty()) {
            return;
        }
        String b = LatenessRollup.BOUND;
        String sql = "SELECT event_date, " + upTo(b + " <= " + HOUR) + " AS h1, "
                + upTo(b + " > " + HOUR + " AND " + b + " <= " + DAY) + " AS d1, "
                + upTo(b + " > " + DAY + " AND " + b + " <= " + 3 * DAY) + " AS d3, "
                + upTo(b + " > " + 3 * DAY + " AND " + b + " <= " + 7 * DAY) + " AS d7, "
                + upTo(b + " > " + 7 * DAY + " AND " + b + " <= " + 30 * DAY) + " AS d30, "
                + upTo(b + " > " + 30 * DAY) + " AS later, " + upTo(b + " IS NULL") + " AS unknown "
                + "FROM " + MartSql.scanByName(files) + " GROUP BY event_date";
        pool.queryWithReadLockHeld(source, sql, List.of(), rows -> {
            while (rows.next()) {
                delays.put(rows.getObject("event_date", LocalDate.class), new Lateness.Delays(rows.getLong("h1"),
                        rows.getLong("d1"), rows.getLong("d3"), rows.getLong("d7"), rows.getLong("d30"),
                        rows.getLong("later"), rows.getLong("unknown")));
            }
        });
    }

    private static String upTo(String condition) {
        return "coalesce(sum(" + LatenessRollup.EVENTS + ") FILTER (WHERE " + condition + "), 0)::BIGINT";
    }

    private void estimate(String source, List<LocalDate> window, List<LatenessEstimate.Bucket> buckets) {
        List<String> files = rollups(source, window);
        if (files.isEmpty()) {
            return;
        }
        String sql = "SELECT " + LatenessRollup.BOUND + " AS bound, sum(" + LatenessRollup.EVENTS + ")::BIGINT AS events"
                + " FROM " + MartSql.scanByName(files) + " WHERE " + LatenessRollup.BOUND + " IS NOT NULL GROUP BY bound ORDER BY bound";
        pool.queryWithReadLockHeld(source, sql, List.of(), rows -> {
            while (rows.next()) {
                buckets.add(new LatenessEstimate.Bucket(rows.getLong("bound"), rows.getLong("events")));
            }
        });
    }

    /** The lateness rollups of those of {@code days} that have one. */
    private List<String> rollups(String source, List<LocalDate> days) {
        List<String> files = new ArrayList<>();
        for (LocalDate day : days) {
            Path rollup = layout.latenessRollup(source, day);
            if (Files.isRegularFile(rollup)) {
                files.add(rollup.toString());
            }
        }
        return files;
    }

    private static LocalDate parseDay(String dirName) {
        try {
            return LocalDate.parse(dirName.substring(DAY_DIR.length()));
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
