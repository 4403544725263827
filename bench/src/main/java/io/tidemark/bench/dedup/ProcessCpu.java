package io.tidemark.bench.dedup;

import io.tidemark.testsupport.ServiceProcess;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.function.ToDoubleFunction;

/**
 * CPU time of every process on the latency path, this probe's own JVM included, read from the OS
 * between two points of a run: a step whose p99 misses says whether the cores were full, and who
 * took them. Kafka's and Cassandra's processes are found by main class, so a stack started by
 * someone else counts too (all of its nodes, in a cluster).
 */
final class ProcessCpu {

    private static final String KAFKA_MAIN = "kafka.Kafka";
    private static final String CASSANDRA_MAIN = "org.apache.cassandra.service.CassandraDaemon";

    private final Map<String, List<ProcessHandle>> processes;

    private ProcessCpu(Map<String, List<ProcessHandle>> processes) {
        this.processes = processes;
    }

    static ProcessCpu of(ServiceProcess ingest, ServiceProcess dedup) {
        Map<String, Long> services = new LinkedHashMap<>();
        services.put("ingest", ingest.pid());
        services.put("dedup", dedup.pid());
        return of("probe", services);
    }

    /** This JVM under {@code self}, each of {@code services} (name to pid), Kafka and Cassandra. */
    static ProcessCpu of(String self, Map<String, Long> services) {
        Map<String, List<ProcessHandle>> processes = new LinkedHashMap<>();
        processes.put(self, List.of(ProcessHandle.current()));
        services.forEach((name, pid) -> processes.put(name, ProcessHandle.of(pid).stream().toList()));
        processes.put("Kafka", byMainClass(KAFKA_MAIN));
        processes.put("Cassandra", byMainClass(CASSANDRA_MAIN));
        return new ProcessCpu(processes);
    }

    private static List<ProcessHandle> byMainClass(String mainClass) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(args -> Arrays.asList(args).contains(mainClass)).orElse(false))
                .toList();
    }

    /** CPU used so far, per process name, and when it was read. */
    record Reading(long atNanos, Map<String, Duration> used) {
    }

    Reading read() {
        Map<String, Duration> used = new LinkedHashMap<>();
        processes.forEach((name, handles) -> used.put(name, handles.stream()
                .map(p -> p.info().totalCpuDuration().orElse(Duration.ZERO))
                .reduce(Duration.ZERO, Duration::plus)));
        return new Reading(System.nanoTime(), used);
    }

    /** CPU used by all the processes together between two readings. */
    static Duration total(Reading before, Reading after) {
        return usedBetween(before, after).values().stream().reduce(Duration.ZERO, Duration::plus);
    }

    /**
     * What each process used between two readings, in % of one core, and their sum against the
     * machine's cores, e.g. {@code probe 12, ingest 25, dedup 40, Kafka 20, Cassandra 65; together 162 of 200}.
     */
    static String between(Reading before, Reading after) {
        double elapsedNanos = Math.max(1, after.atNanos() - before.atNanos());
        return each(before, after, used -> 100 * used.toNanos() / elapsedNanos)
                + String.format(" of %d", 100 * Runtime.getRuntime().availableProcessors());
    }

    /**
     * What each process used between two readings per item of work, in µs, and their sum, e.g.
     * {@code bench 3, dedup 40, Kafka 9, Cassandra 51; together 103 µs a row}.
     */
    static String perItem(Reading before, Reading after, long items, String item) {
        return each(before, after, used -> used.toNanos() / 1e3 / Math.max(1, items)) + String.format(" µs a %s", item);
    }

    /** Each process's CPU between two readings as {@code figure} makes it, and their sum: "a 1, b 2; together 3". */
    private static String each(Reading before, Reading after, ToDoubleFunction<Duration> figure) {
        StringJoiner line = new StringJoiner(", ");
        double total = 0;
        for (Map.Entry<String, Duration> e : usedBetween(before, after).entrySet()) {
            double value = figure.applyAsDouble(e.getValue());
            total += value;
            line.add(String.format("%s %.0f", e.getKey(), value));
        }
        return line + String.format("; together %.0f", total);
    }

    private static Map<String, Duration> usedBetween(Reading before, Reading after) {
        Map<String, Duration> used = new LinkedHashMap<>();
        after.used().forEach((name, now) -> used.put(name, now.minus(before.used().getOrDefault(name, Duration.ZERO))));
        return used;
    }
}
