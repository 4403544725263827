package io.tidemark.mart.query;

import java.util.List;
import java.util.regex.Pattern;

/**
 * What a breakdown ({@code by=}) groups events by: the column {@code type} or {@code event}, or a
 * value inside the JSON text of {@code properties}, {@code context} or {@code traits}, named by 1 to
 * 5 dot-separated keys. The SQL of a breakdown never contains the caller's text: the column comes
 * from this class's constants, and a JSON path is bound as a parameter.
 */
public final class BreakdownPath {

    static final int MAX_SEGMENTS = 5;
    static final int MAX_SEGMENT_LENGTH = 64;
    private static final int MAX_LENGTH = "properties".length() + MAX_SEGMENTS * (1 + MAX_SEGMENT_LENGTH);
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_$-]{1," + MAX_SEGMENT_LENGTH + "}");
    private static final List<String> PLAIN_COLUMNS = List.of("type", "event");
    private static final List<String> JSON_COLUMNS = List.of("properties", "context", "traits");
    private static final String REASON = "must be type, event, or properties, context or traits followed by 1 to "
            + MAX_SEGMENTS + " keys of 1 to " + MAX_SEGMENT_LENGTH + " characters A-Z a-z 0-9 _ $ -, separated by dots, "
            + "such as properties.plan or context.os.name";

    private final String by;
    private final String sqlColumn;
    private final String jsonPath;

    private BreakdownPath(String by, String sqlColumn, String jsonPath) {
        this.by = by;
        this.sqlColumn = sqlColumn;
        this.jsonPath = jsonPath;
    }

    /** Parses {@code by}; a value outside the grammar is an invalid parameter named {@code by}. */
    public static BreakdownPath parse(String by) {
        // Length first: no pattern work on a megabyte of text.
        if (by == null || by.isEmpty() || by.length() > MAX_LENGTH) {
            throw new InvalidParameterException("by", REASON);
        }
        int column = PLAIN_COLUMNS.indexOf(by);
        if (column >= 0) {
            return new BreakdownPath(by, PLAIN_COLUMNS.get(column), null);
        }
        String[] parts = by.split("\\.", -1);
        int json = JSON_COLUMNS.indexOf(parts[0]);
        if (json < 0 || parts.length < 2 || parts.length > MAX_SEGMENTS + 1) {
            throw new InvalidParameterException("by", REASON);
        }
        StringBuilder path = new StringBuilder("$");
        for (int i = 1; i < parts.length; i++) {
            if (!SEGMENT.matcher(parts[i]).matches()) {
                throw new InvalidParameterException("by", REASON);
            }
            // Quoted keys, so '$' and '-' are plain characters; the grammar has no '"' or '\' to escape.
            path.append(".\"").append(parts[i]).append('"');
        }
        return new BreakdownPath(by, JSON_COLUMNS.get(json), path.toString());
    }

    /** The path as the caller wrote it (it matched the grammar). */
    public String by() {
        return by;
    }

    /**
     * The SQL expression of the value, with one {@code ?} for {@link #parameters()} when it reads
     * JSON. Text that is not valid JSON has no value rather than failing the query; a JSON null, a
     * missing key or a missing column has none either; objects and arrays are their JSON text.
     */
    public String expression() {
        return jsonPath == null ? sqlColumn : valuesOf(sqlColumn, "?");
    }

    /**
     * The SQL expression that reads from the JSON text of {@code column} the value at {@code paths}: a
     * JSON path, or a list of them for a list of values. {@code try} gives text that is not JSON no
     * value, as a {@code json_valid} check before the extraction did, with the text parsed once
     * instead of twice.
     */
    public static String valuesOf(String column, String paths) {
        return "try(json_extract_string(" + column + ", " + paths + "))";
    }

    /** The event column the value is read from. */
    public String column() {
        return sqlColumn;
    }

    /** Whether the value is inside the column's JSON text ({@link #jsonPath()}), not the column itself. */
    public boolean inJson() {
        return jsonPath != null;
    }

    /** The JSON path of the value inside {@link #column()}, for a path {@link #inJson() in JSON}. */
    public String jsonPath() {
        return jsonPath;
    }

    /** The parameters {@link #expression()} binds, in order. */
    public List<Object> parameters() {
        return jsonPath == null ? List.of() : List.of(jsonPath);
    }
}
