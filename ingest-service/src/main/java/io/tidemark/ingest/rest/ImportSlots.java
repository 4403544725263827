package io.tidemark.ingest.rest;

import java.util.HashMap;
import java.util.Map;

/**
 * The imports running at once: at most {@code total} in all and {@code perSource} of one source, so one source's
 * slow or stuck uploads never hold every slot while other sources wait.
 */
final class ImportSlots {

    /** What asking for a slot came to. */
    enum Outcome { TAKEN, ALL_BUSY, SOURCE_BUSY }

    private final int total;
    private final int perSource;
    private final Map<String, Integer> running = new HashMap<>();
    private int inAll;

    ImportSlots(int total, int perSource) {
        if (total < 1 || perSource < 1) {
            throw new IllegalArgumentException("import slots must be at least 1: max-concurrent=" + total
                    + ", max-concurrent-per-source=" + perSource);
        }
        this.total = total;
        this.perSource = perSource;
    }

    synchronized Outcome take(String source) {
        int ofSource = running.getOrDefault(source, 0);
        if (ofSource >= perSource) {
            return Outcome.SOURCE_BUSY;
        }
        if (inAll >= total) {
            return Outcome.ALL_BUSY;
        }
        running.put(source, ofSource + 1);
        inAll++;
        return Outcome.TAKEN;
    }

    /** Gives back a slot {@link #take} gave {@code source}. */
    synchronized void release(String source) {
        running.computeIfPresent(source, (key, count) -> count == 1 ? null : count - 1);
        inAll--;
    }
}
