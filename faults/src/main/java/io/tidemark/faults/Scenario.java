package io.tidemark.faults;

import java.util.Arrays;
import java.util.List;

/** One fault the suite injects mid-load, on the real processes. */
enum Scenario {

    NO_FAULT("no-fault", "nf"),
    KILL_INGEST("kill-ingest", "ki"),
    KILL_DEDUP("kill-dedup", "kd"),
    KILL_MART("kill-mart", "km"),
    KAFKA_STOP("kafka-stop", "ks"),
    CASSANDRA_STOP("cassandra-stop", "cs");

    /** What `faults/run` runs when no scenario is named. */
    static final List<Scenario> DEFAULT = List.of(KILL_INGEST, KILL_DEDUP, KILL_MART, KAFKA_STOP, CASSANDRA_STOP);

    private final String label;
    private final String code;

    Scenario(String label, String code) {
        this.label = label;
        this.code = code;
    }

    String label() {
        return label;
    }

    /** Short, source-id-safe code: part of the scenario's source ids and messageIds. */
    String code() {
        return code;
    }

    static Scenario parse(String label) {
        return Arrays.stream(values()).filter(s -> s.label.equals(label)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown scenario '" + label + "'; known: "
                        + Arrays.stream(values()).map(Scenario::label).toList()));
    }
}
