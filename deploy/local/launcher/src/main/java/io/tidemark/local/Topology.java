package io.tidemark.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

/**
 * How many Kafka brokers and Cassandra nodes the stack runs: one of each, or a cluster of three on
 * 127.0.0.1–3 (the whole 127/8 block is loopback on Linux, so each node keeps the usual ports on an
 * address of its own, as it would on a machine of its own). A cluster runs two ingest and two dedup
 * replicas beside mart, each on ports of its own.
 */
record Topology(int nodes) {

    static final Topology SINGLE = new Topology(1);
    static final Topology CLUSTER = new Topology(3);
    private static final String FILE = "topology";

    Topology {
        if (nodes != 1 && nodes != 3) {
            throw new IllegalArgumentException("a stack runs 1 or 3 nodes, not " + nodes);
        }
    }

    boolean cluster() {
        return nodes > 1;
    }

    /** Node 1 keeps the plain name (kafka, cassandra), so a single stack's files stay where they were. */
    static String nodeName(String base, int index) {
        return index == 1 ? base : base + "-" + index;
    }

    /** The loopback address of node {@code index}: the configured host with its last octet moved on. */
    static String nodeHost(String firstHost, int index) {
        int dot = firstHost.lastIndexOf('.');
        int last = Integer.parseInt(firstHost.substring(dot + 1)) + index - 1;
        if (last > 254) {
            throw new StackException("no loopback address for node " + index + " after " + firstHost);
        }
        return firstHost.substring(0, dot + 1) + last;
    }

    <T> List<T> each(IntFunction<T> node) {
        return IntStream.rangeClosed(1, nodes).mapToObj(node).toList();
    }

    /** Replicas per service: two of ingest and dedup in a cluster, one of mart (its exports take a lease anyway). */
    int replicas(String module) {
        return cluster() && !module.equals("mart-service") ? 2 : 1;
    }

    /** What an earlier `up` or `ensure` of this directory ran, so that down, status and stop find every node. */
    static Topology recorded(StackLayout layout, Topology fallback) {
        Path file = layout.runDir().resolve(FILE);
        if (!Files.exists(file)) {
            return fallback;
        }
        try {
            return new Topology(Integer.parseInt(Files.readString(file, StandardCharsets.US_ASCII).strip()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (IllegalArgumentException e) {
            return fallback;
        }
    }

    void record(StackLayout layout) {
        try {
            Files.createDirectories(layout.runDir());
            Files.writeString(layout.runDir().resolve(FILE), Integer.toString(nodes), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
