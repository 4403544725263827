package io.tidemark.faults;

import io.tidemark.testsupport.PrivateStack;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Ports, durations and load shape of a fault run. Short mode (CI, ./mvnw verify) keeps every
 * scenario to about a minute; full mode holds the faults as long as the issue asks (Cassandra 60 s).
 * Any value can be overridden with -Dtidemark.faults.KEY.
 */
record FaultSettings(
        boolean shortMode, boolean cluster,
        int kafkaPort, int kafkaControllerPort, int cassandraPort, int cassandraStoragePort, int cassandraJmxPort,
        int sources, int workers, Duration pace, double duplicateRate, int maxLateDays,
        Duration burstEvery, Duration burstLength,
        Duration loadBeforeFault, Duration loadAfterFault, Duration kafkaDown, Duration cassandraDown, Duration processDown,
        Duration freeze, Duration clockAhead,
        Duration requestTimeout, Duration maxBackoff, Duration drain, Duration quiescence, Duration stableFor,
        String serviceHeap) {

    static FaultSettings of(boolean shortMode) {
        return of(shortMode, false);
    }

    /**
     * A cluster runs on ports of its own (29092, 29042, ...) on 127.0.0.1–3, so that it and the
     * single-node stack of the same test JVM never meet.
     */
    static FaultSettings of(boolean shortMode, boolean cluster) {
        int offset = cluster ? 10_000 : 0;
        return new FaultSettings(shortMode, cluster,
                integer("kafka.port", 19092 + offset), integer("kafka.controller.port", 19093 + offset),
                integer("cassandra.port", 19042 + offset), integer("cassandra.storage.port", 17000 + offset),
                integer("cassandra.jmx.port", 17199 + offset),
                integer("sources", 3), integer("workers", shortMode ? 4 : 8),
                millis("pace.ms", shortMode ? 15 : 10), decimal("duplicate.rate", 0.3), integer("max.late.days", 30),
                seconds("burst.every.s", shortMode ? 6 : 15), seconds("burst.length.s", 2),
                seconds("load.before.s", shortMode ? 8 : 30), seconds("load.after.s", shortMode ? 8 : 30),
                seconds("kafka.down.s", shortMode ? 10 : 30), seconds("cassandra.down.s", shortMode ? 20 : 60),
                seconds("process.down.s", 2),
                seconds("freeze.s", shortMode ? 15 : 30), seconds("clock.ahead.s", 300),
                seconds("request.timeout.s", 3), seconds("max.backoff.s", shortMode ? 4 : 10),
                seconds("drain.s", shortMode ? 90 : 180), seconds("quiescence.s", shortMode ? 150 : 300),
                seconds("stable.s", shortMode ? 20 : 30),
                System.getProperty("tidemark.faults.service.heap", "256m"));
    }

    private static int integer(String key, int fallback) {
        return Integer.getInteger("tidemark.faults." + key, fallback);
    }

    private static double decimal(String key, double fallback) {
        String value = System.getProperty("tidemark.faults." + key);
        return value == null ? fallback : Double.parseDouble(value);
    }

    private static Duration seconds(String key, int fallback) {
        return Duration.ofSeconds(integer(key, fallback));
    }

    private static Duration millis(String key, int fallback) {
        return Duration.ofMillis(integer(key, fallback));
    }

    /** The suite's own stack under faults/target/stack (cluster-stack) on these ports (not started). */
    PrivateStack privateStack(Path root) {
        PrivateStack.Ports ports = new PrivateStack.Ports(kafkaPort(), kafkaControllerPort(), cassandraPort(),
                cassandraStoragePort(), cassandraJmxPort());
        // Eleven JVMs and the load on two cores: a broker restarted after kill -9 was ready after 111 and
        // 156 s (the launcher's own JVM, the broker's start and its first answer each took 35-45 s).
        // Both stacks start from empty data (ensureFresh), so their servers are not stopped with care at the end.
        return cluster
                ? PrivateStack.cluster(root, root.resolve("faults/target/cluster-stack"), ports,
                        List.of("-Dtidemark.stack.kafka.ready.timeout.seconds=360",
                                "-Dtidemark.stack.cassandra.ready.timeout.seconds=360", PrivateStack.NO_STOP_GRACE))
                : PrivateStack.of(root, root.resolve("faults/target/stack"), ports, List.of(PrivateStack.NO_STOP_GRACE));
    }
}
