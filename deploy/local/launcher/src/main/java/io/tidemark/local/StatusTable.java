package io.tidemark.local;

import java.util.ArrayList;
import java.util.List;

/** The table `stack status` and `stack up` print: what runs, under which PID, where it listens, where it logs. */
final class StatusTable {

    /** One line of the table; pid is empty when the stack has no live process recorded for the part. */
    record Row(String part, String pid, String address, String state, String log) {
    }

    private static final List<String> HEADER = List.of("PART", "PID", "LISTENS ON", "STATE", "LOG");

    private StatusTable() {
    }

    static String format(List<Row> rows) {
        List<List<String>> cells = new ArrayList<>();
        cells.add(HEADER);
        for (Row row : rows) {
            cells.add(List.of(row.part, row.pid.isEmpty() ? "-" : row.pid, row.address, row.state, row.log));
        }
        int[] widths = new int[HEADER.size()];
        for (List<String> line : cells) {
            for (int i = 0; i < line.size(); i++) {
                widths[i] = Math.max(widths[i], line.get(i).length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (List<String> line : cells) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < line.size(); i++) {
                text.append(i == line.size() - 1 ? line.get(i) : String.format("%-" + (widths[i] + 2) + "s", line.get(i)));
            }
            out.append(text.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }
}
