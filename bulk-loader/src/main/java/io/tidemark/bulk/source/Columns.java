package io.tidemark.bulk.source;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The column labels of a result set, in order, and where each label is. */
public final class Columns {

    private final List<String> labels;
    private final Map<String, Integer> index = new HashMap<>();

    public Columns(String... labels) {
        this.labels = List.of(labels);
        for (int i = 0; i < labels.length; i++) {
            // A label the query returns twice names its last column, as a map from label to value kept it.
            index.put(labels[i], i);
        }
    }

    /** Every label in the result set's order (a label returned twice is listed twice). */
    public List<String> labels() {
        return labels;
    }

    /** The position of the column with this label (its last, if returned twice), or -1. */
    public int indexOf(String label) {
        Integer i = index.get(label);
        return i == null ? -1 : i;
    }
}
