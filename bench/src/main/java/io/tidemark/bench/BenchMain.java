package io.tidemark.bench;

import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Runs the selected benchmarks against the local stack and prints one table.
 * Usage: BenchMain --root DIR [--short] [name...]; Kafka and Cassandra addresses come from
 * -Dtidemark.bench.kafka / -Dtidemark.bench.cassandra (bench/run passes the local stack's).
 */
public final class BenchMain {

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        boolean shortMode = false;
        Path root = Path.of(".");
        List<String> selected = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--short" -> shortMode = true;
                case "--root" -> root = Path.of(args[++i]);
                default -> selected.add(args[i]);
            }
        }
        root = root.toAbsolutePath().normalize();
        List<Benchmark> benchmarks = new ArrayList<>();
        ServiceLoader.load(Benchmark.class).forEach(benchmarks::add);
        List<String> known = benchmarks.stream().map(Benchmark::name).toList();
        for (String name : selected) {
            if (!known.contains(name)) {
                System.err.println("unknown benchmark '" + name + "'; known: " + known);
                System.exit(2);
            }
        }

        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
        Path resultsDir = root.resolve("bench/results");
        List<String> failures = new ArrayList<>();
        BenchContext ctx;
        try (ServiceProcesses services = new ServiceProcesses(root, resultsDir.resolve(stamp + "-logs"),
                System.getProperty("tidemark.bench.service-heap", "512m"))) {
            ctx = new BenchContext(shortMode, root, System.getProperty("tidemark.bench.kafka", "127.0.0.1:9092"),
                    System.getProperty("tidemark.bench.cassandra", "127.0.0.1:9042"), services);
            for (Benchmark benchmark : benchmarks) {
                if (!selected.isEmpty() && !selected.contains(benchmark.name())) {
                    continue;
                }
                System.out.printf("== %s (%s mode)%n", benchmark.name(), shortMode ? "short" : "full");
                try {
                    benchmark.run(ctx);
                } catch (Exception | AssertionError e) {
                    // One broken benchmark must not hide the others' figures.
                    failures.add(benchmark.name() + ": " + e);
                    e.printStackTrace();
                }
            }
        }
        System.out.println();
        ResultTable.print(ctx.figures(), System.out);
        Path json = resultsDir.resolve(stamp + ".json");
        ResultTable.writeJson(ctx.figures(), shortMode, failures, json);
        System.out.println("\nresults: " + root.relativize(json));
        if (!failures.isEmpty()) {
            failures.forEach(f -> System.err.println("FAILED " + f));
            System.exit(1);
        }
    }
}
