package io.tidemark.k8s;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The few Dockerfile instructions the tests need (what an image holds and how it starts); continuation lines joined. */
record Dockerfile(List<String[]> instructions) {

    /** One COPY: its sources (globs relative to the build context) and its destination in the image. */
    record Copy(List<String> sources, String destination) {
    }

    static Dockerfile read(Path file) throws IOException {
        assertTrue(Files.isRegularFile(file), file + " is missing");
        String text = Files.readString(file).replaceAll("\\\\\\n", " ");
        List<String[]> instructions = new ArrayList<>();
        for (String line : text.split("\n")) {
            String trimmed = line.strip();
            if (!trimmed.isEmpty() && !trimmed.startsWith("#")) {
                instructions.add(trimmed.split("\\s+", 2));
            }
        }
        return new Dockerfile(instructions);
    }

    String last(String instruction) {
        return instructions.stream().filter(i -> i[0].equals(instruction)).reduce((a, b) -> b).map(i -> i[1]).orElse(null);
    }

    /** The exec form of ENTRYPOINT. */
    List<String> entrypoint() throws IOException {
        String json = last("ENTRYPOINT");
        return json == null ? List.of() : Arrays.asList(new ObjectMapper().readValue(json, String[].class));
    }

    List<String> exposed() {
        String ports = last("EXPOSE");
        return ports == null ? List.of() : List.of(ports.split("\\s+"));
    }

    /** Every COPY, without its --flags. */
    List<Copy> copies() {
        return instructions.stream().filter(i -> i[0].equals("COPY")).map(i -> {
            List<String> words = Arrays.stream(i[1].split("\\s+")).filter(w -> !w.startsWith("--")).toList();
            return new Copy(words.subList(0, words.size() - 1), words.get(words.size() - 1));
        }).toList();
    }

    /** Sources of every COPY, without its --flags and its destination. */
    List<String> copySources() {
        return copies().stream().flatMap(c -> c.sources().stream()).toList();
    }

    /** The variables its ENV instructions set (the {@code KEY=value} forms, quotes removed), in order. */
    Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>();
        instructions.stream().filter(i -> i[0].equals("ENV")).forEach(i -> {
            Matcher pair = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|\\S*)").matcher(i[1]);
            while (pair.find()) {
                String value = pair.group(2);
                boolean quoted = value.length() >= 2 && (value.startsWith("\"") || value.startsWith("'"));
                env.put(pair.group(1), quoted ? value.substring(1, value.length() - 1) : value);
            }
        });
        return env;
    }
}
