package io.tidemark.mart.layout;

import io.tidemark.mart.model.HourRange;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the mart's files live, in Hive partitioning so DuckDB, Spark or Trino read it unchanged:
 * {@code <root>/source=<id>/event_date=YYYY-MM-DD/part-NNNNN.parquet}. Work directories, the
 * per-day summaries and the per-day user rollups live under names starting with an underscore,
 * which Hive-style readers (Spark, Trino) ignore and the event glob never matches.
 */
public record MartLayout(Path root) {

    public static final String STAGING = "_staging";
    public static final String RETIRED = "_retired";
    public static final String DAILY = "_daily";
    public static final String SUMMARY = "summary.parquet";
    public static final String MANIFESTS = "_manifests";
    /** In a mirrored day directory: the manifest of the bucket generation the directory holds. */
    public static final String MANIFEST = "_manifest.json";
    /**
     * The day's distinct users, one {@link UserKeyHash} per row, sorted. It lives in the day's own
     * directory so the one rename that swaps the day's events in swaps it too: it can never be
     * older or newer than the events beside it. Parquet inside, but not named *.parquet, so no
     * glob over the day's event files (the service's, the bench's, a user's) reads it as events.
     */
    public static final String USERS_ROLLUP = "_distinct_users.rollup";
    /**
     * The day's events by arrival delay ({@link LatenessRollup}): a few hundred rows at most, so the
     * lateness of a year of days reads kilobytes. Beside the events for the same reason as the user rollup.
     */
    public static final String LATENESS_ROLLUP = "_lateness.rollup";
    /**
     * The day's (path, value, events, users) for the configured breakdown paths ({@link BreakdownRollup}):
     * a few rows per path, so a breakdown of months reads kilobytes. Beside the events for the same
     * reason as the user rollup.
     */
    public static final String BREAKDOWN_ROLLUP = "_breakdowns.rollup";
    /**
     * What the breakdown rollup of a day cut into hour slices is made of, so a late slice merges into
     * it: events by (path, value, hour) and distinct (path, value, user) keys ({@link BreakdownRollup}).
     */
    public static final String BREAKDOWN_HOURS = "_breakdown_hours.rollup";
    public static final String BREAKDOWN_USERS = "_breakdown_users.rollup";
    /** The rollups a day has besides its events, the optional ones last. */
    public static final List<String> ROLLUPS = List.of(USERS_ROLLUP, LATENESS_ROLLUP, BREAKDOWN_ROLLUP, BREAKDOWN_HOURS,
            BREAKDOWN_USERS);
    public static final String WEEKLY = "_weekly";

    private static final Pattern HOUR_PART = Pattern.compile("part-h(\\d{2})-(\\d{2})-\\d{5}\\.parquet");

    /** The only file names a day holds besides its manifest: numbered event parts and the rollups. */
    private static final Pattern DAY_FILE = Pattern.compile("part-(h\\d{2}-\\d{2}-)?\\d{5}\\.parquet|"
            + String.join("|", ROLLUPS.stream().map(Pattern::quote).toList()));

    public Path sourceDir(String source) {
        return root.resolve("source=" + source);
    }

    public Path dayDir(String source, LocalDate day) {
        return sourceDir(source).resolve("event_date=" + day);
    }

    /** The glob over every day file of a source; queries filter event_date so only matching days are opened. */
    public String sourceGlob(String source) {
        return sourceDir(source).resolve("event_date=*").resolve("*.parquet").toString();
    }

    /** The day's user rollup, present for every day exported since rollups exist. */
    public Path usersRollup(String source, LocalDate day) {
        return dayDir(source, day).resolve(USERS_ROLLUP);
    }

    /** The day's arrival-delay histogram, present for every day exported since it exists. */
    public Path latenessRollup(String source, LocalDate day) {
        return dayDir(source, day).resolve(LATENESS_ROLLUP);
    }

    /** The day's breakdown rollup, present for every day exported since it exists. */
    public Path breakdownRollup(String source, LocalDate day) {
        return dayDir(source, day).resolve(BREAKDOWN_ROLLUP);
    }

    /**
     * The directory of the user rollup of the ISO week starting on {@code monday} ({@link WeekUserRollups}):
     * outside the day directories, because it depends on seven of them.
     */
    public Path weekDir(String source, LocalDate monday) {
        return root.resolve(WEEKLY).resolve("source=" + source).resolve("week=" + monday);
    }

    /** One row per exported day, (events, users), so daily numbers need no scan of the events. */
    public Path summaryFile(String source, LocalDate day) {
        return summarySourceDir(source).resolve("event_date=" + day).resolve(SUMMARY);
    }

    public Path summarySourceDir(String source) {
        return root.resolve(DAILY).resolve("source=" + source);
    }

    public String summaryGlob(String source) {
        return summarySourceDir(source).resolve("event_date=*").resolve(SUMMARY).toString();
    }

    /** The bucket keys of a day's objects start with this: the same Hive path as on disk. */
    public static String dayKey(String source, LocalDate day) {
        return "source=" + source + "/event_date=" + day + "/";
    }

    /** The bucket's day manifests of a source, one object per day. */
    public static String manifestsKey(String source) {
        return "source=" + source + "/" + MANIFESTS + "/";
    }

    public static String manifestKey(String source, LocalDate day) {
        return manifestsKey(source) + "event_date=" + day + ".json";
    }

    /** The day a manifest key names. */
    public static LocalDate manifestDay(String key) {
        String name = key.substring(key.lastIndexOf('/') + 1);
        return LocalDate.parse(name.substring("event_date=".length(), name.length() - ".json".length()));
    }

    /**
     * The object name of a file of one export generation: {@code part-00000.parquet} becomes
     * {@code part-00000-g<generation>.parquet}, so a re-export never overwrites an object a reader
     * may be fetching, and still ends in {@code .parquet} for Hive-style readers of the bucket.
     */
    public static String objectName(String file, String generation) {
        int dot = file.indexOf('.', 1);
        return file.substring(0, dot) + "-g" + generation + file.substring(dot);
    }

    /**
     * Where a file a bucket manifest names goes in a day's staging directory. The manifest comes from
     * the bucket, which others may write: a name outside the layout ({@code ../}, a path, anything but
     * a part or the rollup) is refused before it touches the disk, and the resolved path must still
     * be a direct child of {@code staging}.
     */
    public static Path mirroredFile(Path staging, String name) {
        if (name == null || !DAY_FILE.matcher(name).matches()) {
            throw new IllegalArgumentException("the bucket manifest names a file outside the mart layout: " + name);
        }
        Path target = staging.resolve(name).normalize();
        if (!staging.normalize().equals(target.getParent())) {
            throw new IllegalArgumentException("the bucket manifest names a file outside the day: " + name);
        }
        return target;
    }

    public static String partFile(int index) {
        return String.format(Locale.ROOT, "part-%05d.parquet", index);
    }

    /**
     * A part of a day written as hour slices: {@code part-h05-12-00000.parquet} holds event times from
     * 05:00 to before 12:00 UTC, the first of however many files that slice needed. The name is the
     * only record of the slices, so the day's files and their slices cannot disagree.
     */
    public static String partFile(HourRange hours, int index) {
        return String.format(Locale.ROOT, "part-h%02d-%02d-%05d.parquet", hours.from(), hours.to(), index);
    }

    /** The hour slice a part file's name gives; empty for a part of a day written whole ({@code part-00000.parquet}). */
    public static Optional<HourRange> hoursOf(String partFile) {
        Matcher name = HOUR_PART.matcher(partFile);
        if (!name.matches()) {
            return Optional.empty();
        }
        int from = Integer.parseInt(name.group(1));
        int to = Integer.parseInt(name.group(2));
        return from < to && to <= HourRange.HOURS ? Optional.of(new HourRange(from, to)) : Optional.empty();
    }

    /** Whether a file of a day directory holds events (is a part, not a rollup or manifest). */
    public static boolean isPart(String fileName) {
        return fileName.startsWith("part-") && fileName.endsWith(".parquet");
    }

    /** A fresh directory next to the day's, on the same file system, so the final rename is atomic. */
    public Path stagingDir(String source, LocalDate day) {
        return sourceDir(source).resolve(STAGING).resolve(day + "-" + UUID.randomUUID());
    }

    public Path retiredDir(String source, LocalDate day) {
        return sourceDir(source).resolve(RETIRED).resolve(day + "-" + UUID.randomUUID());
    }

    /** Where the queries' DuckDB database spills. */
    public Path duckDbTemp() {
        return root.resolve("_tmp");
    }

    /** Where the exports' DuckDB database spills. */
    public Path duckDbExportTemp() {
        return root.resolve("_tmp-export");
    }
}
