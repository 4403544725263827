package io.tidemark.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/** The one table bench/run prints, and the same figures as JSON so runs can be compared. */
final class ResultTable {

    private static final String ROW = "%-8s %-44s %14s %-10s %-36s %14s %8s  %s%n";

    private ResultTable() {
    }

    static void print(List<Figure> figures, PrintStream out) {
        out.printf(ROW, "AREA", "METRIC", "VALUE", "UNIT", "BASELINE", "BASELINE VALUE", "RATIO", "GOAL");
        for (Figure f : figures) {
            out.printf(ROW, f.area(), f.metric(), number(f.value()), f.unit(),
                    f.baselineMetric() == null ? "-" : f.baselineMetric(),
                    f.baselineValue() == null ? "-" : number(f.baselineValue()),
                    f.ratio() == null ? "-" : String.format(Locale.ROOT, "%.2f", f.ratio()),
                    f.goal() == null ? "" : f.goal());
        }
    }

    static void writeJson(List<Figure> figures, boolean shortMode, List<String> failures, Path file) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode run = json.createObjectNode();
        run.put("finishedAt", Instant.now().toString());
        run.put("mode", shortMode ? "short" : "full");
        run.put("cores", Runtime.getRuntime().availableProcessors());
        ArrayNode rows = run.putArray("figures");
        for (Figure f : figures) {
            ObjectNode row = rows.addObject();
            row.put("area", f.area());
            row.put("metric", f.metric());
            row.put("value", f.value());
            row.put("unit", f.unit());
            row.put("baselineMetric", f.baselineMetric());
            if (f.baselineValue() != null) {
                row.put("baselineValue", f.baselineValue());
                row.put("ratio", f.ratio());
            }
            row.put("goal", f.goal());
        }
        failures.forEach(run.putArray("failures")::add);
        Files.createDirectories(file.getParent());
        json.writeValue(file.toFile(), run);
    }

    static String number(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return String.format(Locale.ROOT, "%,d", (long) value);
        }
        return String.format(Locale.ROOT, Math.abs(value) >= 100 ? "%,.0f" : "%.2f", value);
    }
}
