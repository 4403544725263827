package io.tidemark.bulk.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What a run did, over all its windows: the JSON summary a workflow tool reads from stdout. Refused
 * rows are listed by key up to {@link #MAX_LISTED}, and all of them counted.
 */
public final class LoadReport {

    public static final int MAX_LISTED = 100;

    /** One refused row: {@code stage} is "mapping" (never sent) or "ingest" (refused by ingest, dead-lettered). */
    public record RefusedRow(String key, String stage, String field, String reason) {
    }

    public enum Status { SUCCESS, PARTIAL, FAILED }

    private final String job;
    private final Instant started = Instant.now();
    private final List<RefusedRow> listed = new ArrayList<>();
    private final List<JsonNode> sample = new ArrayList<>();
    private Instant from;
    private Instant to;
    private Instant completedThrough;
    private int windows;
    private long rowsRead;
    private long accepted;
    private long refused;
    private boolean listCapped;
    private String error;
    private boolean dryRun;
    private Instant watermarkBefore;
    private Instant watermarkAfter;
    private boolean watermarkMode;

    public LoadReport(String job) {
        this.job = job;
    }

    void read(long rows) {
        rowsRead += rows;
    }

    void accepted(long rows) {
        accepted += rows;
    }

    void refused(RefusedRow row) {
        refused++;
        list(row);
    }

    /** ingest refused {@code count} rows of a chunk and named {@code named} of them (it names at most 100). */
    void refusedByIngest(long count, int named) {
        refused += count;
        listCapped |= count > named;
    }

    void list(RefusedRow row) {
        if (listed.size() < MAX_LISTED) {
            listed.add(row);
        } else {
            listCapped = true;
        }
    }

    void sample(JsonNode event) {
        sample.add(event);
    }

    public void plan(Instant from, Instant to) {
        this.from = from;
        this.to = to;
    }

    public void windowDone(Instant through) {
        windows++;
        completedThrough = through;
    }

    public void watermark(Instant before, Instant after) {
        watermarkMode = true;
        watermarkBefore = before;
        watermarkAfter = after;
    }

    public void dryRun() {
        dryRun = true;
    }

    public void failed(String error) {
        this.error = error;
    }

    public long refused() {
        return refused;
    }

    public long accepted() {
        return accepted;
    }

    public Status status() {
        if (error != null) {
            return Status.FAILED;
        }
        return refused > 0 ? Status.PARTIAL : Status.SUCCESS;
    }

    public ObjectNode toJson() {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        ObjectNode json = nodes.objectNode();
        json.put("job", job);
        json.put("status", status().name().toLowerCase());
        json.put("dryRun", dryRun);
        ObjectNode window = json.putObject("window");
        window.put("from", from == null ? null : from.toString());
        window.put("to", to == null ? null : to.toString());
        json.put("windows", windows);
        json.put("completedThrough", completedThrough == null ? null : completedThrough.toString());
        json.put("rowsRead", rowsRead);
        json.put("accepted", accepted);
        json.put("refused", refused);
        ArrayNode keys = json.putArray("refusedKeys");
        for (RefusedRow row : listed) {
            keys.addObject().put("key", row.key()).put("stage", row.stage()).put("field", row.field()).put("reason", row.reason());
        }
        json.put("refusedKeysCapped", listCapped);
        if (watermarkMode) {
            json.putObject("watermark").put("before", watermarkBefore == null ? null : watermarkBefore.toString())
                    .put("after", watermarkAfter == null ? null : watermarkAfter.toString());
        }
        json.put("durationMs", Duration.between(started, Instant.now()).toMillis());
        if (error != null) {
            json.put("error", error);
        }
        if (dryRun) {
            json.putArray("sample").addAll(sample);
        }
        return json;
    }
}
