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
    CASSANDRA_STOP("cassandra-stop", "cs"),

    // On the cluster (faults/run --cluster): one node or replica at a time, the others carry on.
    /** kill -9 of the broker that leads most partitions of the raw topic, restarted after the Kafka down time. */
    KILL_LEAD_BROKER("kill-lead-broker", "kb"),
    /** kill -9 of one Cassandra node, restarted after the Cassandra down time (60 s in full mode). */
    CASSANDRA_NODE_DOWN("cassandra-node-down", "cn"),
    /** SIGSTOP of one Cassandra node for the freeze time (30 s in full mode), then SIGCONT. */
    CASSANDRA_FREEZE("cassandra-freeze", "cf"),
    /** SIGSTOP of the broker that leads most raw partitions for the freeze time, then SIGCONT. */
    BROKER_FREEZE("broker-freeze", "bf"),
    /**
     * Both at once, the CI-sized proof on the cluster: the lead broker killed and, while it is down, one
     * Cassandra node frozen; both come back after the freeze time.
     */
    KILL_BROKER_FREEZE_CASSANDRA("kill-broker-freeze-cassandra", "kc"),
    /** One dedup replica restarted under faketime 5 minutes fast while late events reach exported days. */
    DEDUP_CLOCK_AHEAD("dedup-clock-ahead", "dc"),
    /** Every service replica restarted in turn (SIGTERM, start, ready) while the load runs. */
    ROLLING_RESTART("rolling-restart", "rr");

    /** What `faults/run` runs when no scenario is named. */
    static final List<Scenario> DEFAULT = List.of(KILL_INGEST, KILL_DEDUP, KILL_MART, KAFKA_STOP, CASSANDRA_STOP);

    /** What `faults/run --cluster` runs when no scenario is named. */
    static final List<Scenario> CLUSTER_DEFAULT = List.of(KILL_LEAD_BROKER, CASSANDRA_NODE_DOWN, CASSANDRA_FREEZE,
            BROKER_FREEZE, DEDUP_CLOCK_AHEAD, ROLLING_RESTART);

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
