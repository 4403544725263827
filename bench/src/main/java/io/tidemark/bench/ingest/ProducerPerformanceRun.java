package io.tidemark.bench.ingest;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kafka's own {@code org.apache.kafka.tools.ProducerPerformance} (kafka-tools) in its own JVM, as the
 * kafka-producer-perf-test script runs it: its main calls Exit and prints the summary we parse.
 */
final class ProducerPerformanceRun {

    // "1000000 records sent, 312500.0 records/sec (89.41 MB/sec), 50.12 ms avg latency, 300.00 ms max latency,
    //  45 ms 50th, 120 ms 95th, 150 ms 99th, 180 ms 99.9th."
    private static final Pattern SUMMARY = Pattern.compile(
            "(\\d+) records sent, ([\\d.]+) records/sec .* (\\d+) ms 50th, (\\d+) ms 95th, (\\d+) ms 99th");

    record Result(double recordsPerSecond, double p50Millis, double p99Millis) {
    }

    private ProducerPerformanceRun() {
    }

    /**
     * Random records of one size, as the perf-test script sends them by default.
     *
     * @param producerProps extra producer settings beside bootstrap.servers and acks=all
     */
    static Result run(String bootstrap, String topic, long records, int recordBytes, String... producerProps)
            throws Exception {
        return run(bootstrap, topic, records, List.of("--record-size", Integer.toString(recordBytes)), producerProps);
    }

    /**
     * Records drawn at random from a file of payloads, one per line (ProducerPerformance's own
     * {@code --payload-file}).
     *
     * @param producerProps extra producer settings beside bootstrap.servers and acks=all
     */
    static Result runWithPayloads(String bootstrap, String topic, long records, Path payloadFile, String... producerProps)
            throws Exception {
        return run(bootstrap, topic, records, List.of("--payload-file", payloadFile.toString()), producerProps);
    }

    private static Result run(String bootstrap, String topic, long records, List<String> payload, String... producerProps)
            throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                "org.apache.kafka.tools.ProducerPerformance",
                "--topic", topic, "--num-records", Long.toString(records)));
        command.addAll(payload);
        command.addAll(List.of("--throughput", "-1", "--producer-props", "bootstrap.servers=" + bootstrap, "acks=all"));
        command.addAll(List.of(producerProps));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String summary = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (SUMMARY.matcher(line).find()) {
                    summary = line;
                }
            }
        }
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException("ProducerPerformance did not finish");
        }
        if (summary == null) {
            throw new IllegalStateException("ProducerPerformance printed no summary (exit " + process.exitValue() + ")");
        }
        System.out.println("  ProducerPerformance: " + summary);
        Matcher m = SUMMARY.matcher(summary);
        m.find();
        return new Result(Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)), Double.parseDouble(m.group(5)));
    }
}
