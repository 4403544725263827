package io.tidemark.mart.export;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Locale;
import java.util.UUID;

/**
 * Where the mart's files live, in Hive partitioning so DuckDB, Spark or Trino read it unchanged:
 * {@code <root>/source=<id>/event_date=YYYY-MM-DD/part-NNNNN.parquet}. Work directories and the
 * per-day summaries live under names starting with an underscore, which Hive-style readers ignore
 * and the event glob never matches.
 */
public record MartLayout(Path root) {

    static final String STAGING = "_staging";
    static final String RETIRED = "_retired";
    static final String DAILY = "_daily";
    static final String SUMMARY = "summary.parquet";

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

    public static String partFile(int index) {
        return String.format(Locale.ROOT, "part-%05d.parquet", index);
    }

    /** A fresh directory next to the day's, on the same file system, so the final rename is atomic. */
    Path stagingDir(String source, LocalDate day) {
        return sourceDir(source).resolve(STAGING).resolve(day + "-" + UUID.randomUUID());
    }

    Path retiredDir(String source, LocalDate day) {
        return sourceDir(source).resolve(RETIRED).resolve(day + "-" + UUID.randomUUID());
    }

    Path duckDbTemp() {
        return root.resolve("_tmp");
    }
}
