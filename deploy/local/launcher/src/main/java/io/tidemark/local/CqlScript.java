package io.tidemark.local;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a CQL migration into statements: a statement ends with ';' as the last thing on its line
 * (a trailing comment aside); '--', '//' and block comments are dropped, quoted text is kept as is.
 */
final class CqlScript {

    private CqlScript() {
    }

    static List<String> statements(String script) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int line = 1;
        int statementLine = -1;
        int i = 0;
        int n = script.length();
        while (i < n) {
            char c = script.charAt(i);
            char next = i + 1 < n ? script.charAt(i + 1) : '\0';
            if (c == '\n') {
                line++;
            }
            if ((c == '-' && next == '-') || (c == '/' && next == '/')) {
                i = endOfLine(script, i);
                continue;
            }
            if (c == '/' && next == '*') {
                int end = script.indexOf("*/", i + 2);
                if (end < 0) {
                    throw new IllegalArgumentException("line " + line + ": block comment is not closed");
                }
                line += count(script, i, end, '\n');
                current.append(' ');
                i = end + 2;
                continue;
            }
            if (c == '\'' || c == '"' || (c == '$' && next == '$')) {
                int end = endOfQuoted(script, i, line);
                if (statementLine < 0) {
                    statementLine = line;
                }
                line += count(script, i, end, '\n');
                current.append(script, i, end);
                i = end;
                continue;
            }
            if (c == ';' && restOfLineIsBlank(script, i + 1)) {
                String statement = current.toString().strip();
                if (statement.isEmpty()) {
                    throw new IllegalArgumentException("line " + line + ": empty statement");
                }
                statements.add(statement);
                current.setLength(0);
                statementLine = -1;
                i++;
                continue;
            }
            if (!Character.isWhitespace(c) && statementLine < 0) {
                statementLine = line;
            }
            current.append(c);
            i++;
        }
        if (!current.toString().isBlank()) {
            throw new IllegalArgumentException("line " + statementLine
                    + ": statement does not end with ';' at the end of a line");
        }
        return statements;
    }

    private static int endOfQuoted(String script, int start, int line) {
        char c = script.charAt(start);
        if (c == '$') {
            int end = script.indexOf("$$", start + 2);
            if (end < 0) {
                throw new IllegalArgumentException("line " + line + ": $$ string is not closed");
            }
            return end + 2;
        }
        int i = start + 1;
        while (i < script.length()) {
            if (script.charAt(i) == c) {
                // A doubled quote is an escaped quote inside the string.
                if (i + 1 < script.length() && script.charAt(i + 1) == c) {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        throw new IllegalArgumentException("line " + line + ": quoted text is not closed");
    }

    private static boolean restOfLineIsBlank(String script, int from) {
        int i = from;
        while (i < script.length() && script.charAt(i) != '\n') {
            char c = script.charAt(i);
            char next = i + 1 < script.length() ? script.charAt(i + 1) : '\0';
            if ((c == '-' && next == '-') || (c == '/' && next == '/')) {
                return true;
            }
            if (!Character.isWhitespace(c)) {
                return false;
            }
            i++;
        }
        return true;
    }

    private static int endOfLine(String script, int from) {
        int end = script.indexOf('\n', from);
        return end < 0 ? script.length() : end;
    }

    private static int count(String text, int from, int to, char wanted) {
        int count = 0;
        for (int i = from; i < to; i++) {
            if (text.charAt(i) == wanted) {
                count++;
            }
        }
        return count;
    }
}
