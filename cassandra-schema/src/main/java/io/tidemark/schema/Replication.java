package io.tidemark.schema;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cognitor.cassandra.migration.keyspace.NetworkStrategy;
import org.cognitor.cassandra.migration.keyspace.ReplicationStrategy;
import org.cognitor.cassandra.migration.keyspace.SimpleStrategy;

/**
 * The replication a new keyspace is created with, written as operators write it in a manifest:
 * {@code dc1:3} or {@code dc1:3,dc2:3} for NetworkTopologyStrategy, {@code simple:1} for one local node.
 * It is used only when the keyspace does not exist yet; an existing keyspace is never altered.
 */
public record Replication(Map<String, Integer> datacenters, int simpleFactor) {

    private static final String SIMPLE = "simple";

    public Replication {
        datacenters = Collections.unmodifiableMap(new LinkedHashMap<>(datacenters));
    }

    public static Replication parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("replication is empty; expected e.g. dc1:3 or simple:1");
        }
        Map<String, Integer> datacenters = new LinkedHashMap<>();
        int simple = 0;
        for (String part : text.split(",")) {
            String[] pair = part.trim().split(":");
            if (pair.length != 2 || pair[0].isBlank()) {
                throw new IllegalArgumentException("replication '" + text + "': '" + part.trim()
                        + "' is not <datacenter>:<factor> or simple:<factor>");
            }
            int factor = factor(text, pair[1].trim());
            if (pair[0].trim().equalsIgnoreCase(SIMPLE)) {
                simple = factor;
            } else if (datacenters.putIfAbsent(pair[0].trim(), factor) != null) {
                throw new IllegalArgumentException("replication '" + text + "' names " + pair[0].trim() + " twice");
            }
        }
        if (simple > 0 && !datacenters.isEmpty()) {
            throw new IllegalArgumentException("replication '" + text + "' mixes simple with datacenters");
        }
        return new Replication(datacenters, simple);
    }

    private static int factor(String text, String value) {
        try {
            int factor = Integer.parseInt(value);
            if (factor >= 1) {
                return factor;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("replication '" + text + "': factor '" + value + "' is not a whole number >= 1");
    }

    ReplicationStrategy strategy() {
        if (datacenters.isEmpty()) {
            return new SimpleStrategy(simpleFactor);
        }
        NetworkStrategy strategy = new NetworkStrategy();
        datacenters.forEach(strategy::with);
        return strategy;
    }

    @Override
    public String toString() {
        if (datacenters.isEmpty()) {
            return SIMPLE + ":" + simpleFactor;
        }
        StringBuilder text = new StringBuilder();
        datacenters.forEach((dc, factor) -> text.append(text.isEmpty() ? "" : ",").append(dc).append(':').append(factor));
        return text.toString();
    }
}
