package io.tidemark.mart.query;

import io.tidemark.mart.layout.MartLayout;

import java.time.LocalDate;
import java.util.List;
import java.util.stream.Collectors;

/** SQL fragments over the mart's files that several query classes share. */
final class MartSql {

    private MartSql() {
    }

    /** Every event file of the source, with the Hive key event_date as a DATE column. */
    static String scan(MartLayout layout, String source) {
        return "read_parquet('" + quoted(layout.sourceGlob(source)) + "', hive_partitioning = true, "
                + "hive_types = {'event_date': DATE})";
    }

    /** Named files, with the Hive keys of their paths as columns. */
    static String scan(List<String> files) {
        return scan(files, "");
    }

    /**
     * Named files whose columns differ between writers (a rollup that gained a column), matched by
     * name: a file without a column reads it as NULL.
     */
    static String scanByName(List<String> files) {
        return scan(files, ", union_by_name = true");
    }

    private static String scan(List<String> files, String options) {
        return "read_parquet([" + files.stream().map(f -> "'" + quoted(f) + "'").collect(Collectors.joining(", "))
                + "], hive_partitioning = true, hive_types = {'event_date': DATE}" + options + ")";
    }

    static String quoted(String text) {
        return text.replace("'", "''");
    }

    /** Both filters: the partition key prunes files, the event_time range lets row-group statistics skip. */
    static String days(LocalDate from, LocalDate to) {
        return "event_date BETWEEN DATE '" + from + "' AND DATE '" + to + "'"
                + " AND event_time >= TIMESTAMPTZ '" + from + " 00:00:00+00'"
                + " AND event_time < TIMESTAMPTZ '" + to.plusDays(1) + " 00:00:00+00'";
    }
}
