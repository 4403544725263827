package io.tidemark.ingest.mqtt;

import java.util.Arrays;
import java.util.Optional;

/**
 * The topic devices publish to, e.g. {@code tidemark/+/events}: the level under {@code +} carries the
 * device's write key, and the filter ingest subscribes to may be shared between replicas.
 */
public final class DeviceTopic {

    private static final String WILDCARD = "+";
    private final String filter;
    private final String[] levels;
    private final int keyLevel;

    public DeviceTopic(String filter) {
        if (filter.startsWith("$") || filter.contains("#")) {
            throw new IllegalArgumentException("tidemark.ingest.mqtt.topic: '" + filter
                    + "' must be a plain filter without '#' (the shared group is configured apart)");
        }
        this.filter = filter;
        this.levels = filter.split("/", -1);
        int found = -1;
        for (int i = 0; i < levels.length; i++) {
            if (levels[i].equals(WILDCARD)) {
                if (found >= 0) {
                    throw new IllegalArgumentException("tidemark.ingest.mqtt.topic: '" + filter
                            + "' must have exactly one '+' level, the write key");
                }
                found = i;
            } else if (levels[i].contains(WILDCARD)) {
                throw new IllegalArgumentException("tidemark.ingest.mqtt.topic: '" + filter
                        + "' has a '+' inside a level");
            }
        }
        if (found < 0) {
            throw new IllegalArgumentException("tidemark.ingest.mqtt.topic: '" + filter
                    + "' needs one '+' level for the write key");
        }
        this.keyLevel = found;
    }

    /** The filter to subscribe with: {@code $share/<group>/<filter>} when a group is given. */
    public String subscription(Optional<String> sharedGroup) {
        return sharedGroup.filter(g -> !g.isBlank()).map(g -> "$share/" + g + "/" + filter).orElse(filter);
    }

    /** The write key of a topic the broker delivered, or empty when the topic does not match the filter. */
    public Optional<String> writeKey(String topic) {
        String[] actual = topic.split("/", -1);
        if (actual.length != levels.length) {
            return Optional.empty();
        }
        for (int i = 0; i < levels.length; i++) {
            if (i != keyLevel && !levels[i].equals(actual[i])) {
                return Optional.empty();
            }
        }
        String key = actual[keyLevel];
        return key.isEmpty() ? Optional.empty() : Optional.of(key);
    }

    @Override
    public String toString() {
        return filter + " (write key at level " + keyLevel + " of " + Arrays.toString(levels) + ")";
    }
}
