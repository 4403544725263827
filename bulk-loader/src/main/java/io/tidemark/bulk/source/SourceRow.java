package io.tidemark.bulk.source;

import java.util.Map;

/**
 * One row as column name to Java value: numbers as {@code Long}/{@code BigDecimal}/{@code Double},
 * {@code Boolean}, times as {@code Instant} (or {@code LocalDate}, {@code LocalTime}), JSON columns as
 * a Jackson tree, arrays as lists, everything else as its string form. Insertion ordered.
 */
public record SourceRow(long number, Map<String, Object> values) {

    public Object get(String column) {
        return values.get(column);
    }

    public boolean has(String column) {
        return values.containsKey(column);
    }
}
