package io.tidemark.bulk.source;

import io.tidemark.bulk.config.JobConfigException;

import java.util.ArrayList;
import java.util.List;

/**
 * The job's SQL with {@code :from} and {@code :to} turned into JDBC {@code ?} parameters, so a window's
 * bounds are bound, never spliced into the text. Quoted strings, quoted identifiers, comments and
 * PostgreSQL's {@code ::type} casts are left alone.
 */
public record WindowQuery(String sql, List<Bound> parameters) {

    /** Which bound a {@code ?} stands for, in order. */
    public enum Bound { FROM, TO }

    public static WindowQuery parse(String text) {
        StringBuilder sql = new StringBuilder(text.length());
        List<Bound> parameters = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\'' || c == '"') {
                int end = closing(text, i, c);
                sql.append(text, i, end);
                i = end;
            } else if (c == '-' && text.startsWith("--", i)) {
                int end = text.indexOf('\n', i);
                end = end < 0 ? text.length() : end;
                sql.append(text, i, end);
                i = end;
            } else if (c == '/' && text.startsWith("/*", i)) {
                int end = text.indexOf("*/", i + 2);
                end = end < 0 ? text.length() : end + 2;
                sql.append(text, i, end);
                i = end;
            } else if (c == ':' && text.startsWith("::", i)) {
                sql.append("::");
                i += 2;
            } else if (c == ':' && isName(text, i + 1)) {
                int end = i + 1;
                while (end < text.length() && Character.isJavaIdentifierPart(text.charAt(end))) {
                    end++;
                }
                String name = text.substring(i + 1, end);
                switch (name) {
                    case "from" -> parameters.add(Bound.FROM);
                    case "to" -> parameters.add(Bound.TO);
                    default -> throw new JobConfigException("source.query: unknown parameter :" + name
                            + "; only :from and :to are bound");
                }
                sql.append('?');
                i = end;
            } else {
                sql.append(c);
                i++;
            }
        }
        if (!parameters.contains(Bound.FROM) || !parameters.contains(Bound.TO)) {
            throw new JobConfigException("source.query: needs both :from and :to, e.g. "
                    + "WHERE updated_at >= :from AND updated_at < :to");
        }
        return new WindowQuery(sql.toString(), List.copyOf(parameters));
    }

    private static boolean isName(String text, int at) {
        return at < text.length() && Character.isJavaIdentifierStart(text.charAt(at));
    }

    /** The index after the quote closing the one at {@code start}; a doubled quote is an escaped one. */
    private static int closing(String text, int start, char quote) {
        int i = start + 1;
        while (i < text.length()) {
            if (text.charAt(i) == quote) {
                if (i + 1 < text.length() && text.charAt(i + 1) == quote) {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return text.length();
    }
}
