package io.tidemark.bulk.source;

import java.util.Map;

/**
 * One row: its values by column position, under column labels shared by every row of a result set.
 * Values are plain Java: numbers as {@code Long}/{@code BigDecimal}/{@code Double}, {@code Boolean},
 * times as {@code Instant} (or {@code LocalDate}, {@code LocalTime}), JSON columns as a Jackson tree,
 * arrays as lists, everything else as its string form. An array rather than a map per row: the mapping
 * reads each row by positions it works out once per result set.
 */
public record SourceRow(long number, Columns columns, Object[] values) {

    /** A row of its own columns, in the map's order: for tests and sources without a result set. */
    public static SourceRow of(long number, Map<String, Object> values) {
        return new SourceRow(number, new Columns(values.keySet().toArray(String[]::new)), values.values().toArray());
    }

    /** The value of the column with this label (the last one of that label), or null if the row has none. */
    public Object get(String column) {
        int i = columns.indexOf(column);
        return i < 0 ? null : values[i];
    }

    public boolean has(String column) {
        return columns.indexOf(column) >= 0;
    }
}
