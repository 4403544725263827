package io.tidemark.ingest.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.tidemark.ingest.config.IngestConfig;
import io.tidemark.ingest.model.ImportSummary;
import io.tidemark.ingest.model.RejectedEvent;
import io.tidemark.ingest.model.RejectedLine;
import io.tidemark.ingest.model.TrackingResponse;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import io.tidemark.ingest.service.rejection.EventNotStoredException;
import io.tidemark.ingest.service.rejection.ImportCutShortException;
import io.tidemark.ingest.service.rejection.ImportStoppedException;
import io.tidemark.ingest.service.rejection.MalformedRequestException;
import io.tidemark.ingest.service.rejection.RateLimitExceededException;

/**
 * Bulk import: a newline-delimited JSON stream, one Segment event (with its {@code type}) per line,
 * sent to Kafka in batches through the same validation and dead-letter path as {@code /v1/batch}.
 * It blocks its caller (a worker thread) while it streams, keeping a few batches in flight, so a
 * file of any size takes bounded memory. A line without messageId gets one derived from its bytes,
 * so importing the same file again stores nothing twice.
 *
 * <p>A batch holds at most {@code chunk-events} lines and {@code max-request-bytes} of them, and each
 * line is read as a {@code /v1/batch} event is ({@link TrackingRequestReader}): so a batch weighs in
 * memory, and against the in-flight budget all requests share, what a request may. By count alone, 500
 * lines near the 32 KB limit held 16 MB of JSON, and read into plain trees (a line of one-character
 * strings takes some seventeen times its bytes) could fill the heap.
 *
 * <p>When the stream breaks off (too large, too slow, damaged gzip, the client gone), the lines read
 * whole so far are still sent and acknowledged before the import answers, so the answer can say where
 * the stored part ends.
 */
@ApplicationScoped
public class EventImporter {

    static final int MAX_LISTED = 100;

    private final EventCollector collector;
    private final TrackingRequestReader reader;
    private final IngestConfig config;

    public EventImporter(EventCollector collector, TrackingRequestReader reader, IngestConfig config) {
        this.collector = collector;
        this.reader = reader;
        this.config = config;
    }

    /** A batch sent and not yet acknowledged: the line number of each of its elements. */
    private record Pending(long[] lineOf, CompletableFuture<TrackingResponse> answer) {
    }

    /**
     * Imports the lines of {@code body}. Throws {@link ImportCutShortException} when the stream breaks
     * off, once the lines before the break are stored, and {@link ImportStoppedException} when Kafka or
     * the source's rate limit stops the import.
     */
    public ImportSummary importLines(String source, InputStream body) throws ImportCutShortException {
        LineReader lines = new LineReader(body, config.maxEventBytes());
        Progress progress = new Progress();
        ArrayDeque<Pending> inFlight = new ArrayDeque<>();
        Chunk chunk = new Chunk();
        long lineNumber = 0;
        LineReader.Line line;
        try {
            while ((line = lines.next()) != null) {
                lineNumber++;
                TrackingRequestReader.BatchElement element = element(line, lineNumber, progress);
                if (element == null) {
                    continue;
                }
                if (chunk.bytes + element.bytes() > config.maxRequestBytes()) {
                    chunk = flush(source, chunk, inFlight, progress);
                }
                chunk.add(element, lineNumber);
                if (chunk.elements.size() >= config.importing().chunkEvents()) {
                    chunk = flush(source, chunk, inFlight, progress);
                }
            }
        } catch (IOException broken) {
            flush(source, chunk, inFlight, progress);
            drain(inFlight, progress);
            throw new ImportCutShortException(broken, lineNumber + 1, progress.accepted, progress.rejectedCount);
        }
        flush(source, chunk, inFlight, progress);
        drain(inFlight, progress);
        List<RejectedLine> listed = new ArrayList<>(progress.listed);
        listed.sort(Comparator.comparingLong(RejectedLine::line));
        return new ImportSummary(true, lineNumber, progress.accepted, progress.rejectedCount, listed);
    }

    /** The line as a batch element; null for a blank line. Malformed lines still go on, to be parked. */
    private TrackingRequestReader.BatchElement element(LineReader.Line line, long number, Progress progress) {
        if (line.tooLong()) {
            progress.reject(number, "body", "the line is " + line.length() + " bytes; an event may have at most "
                    + config.maxEventBytes());
            return null;
        }
        byte[] bytes = line.bytes();
        if (isBlank(bytes)) {
            return null;
        }
        JsonNode message;
        try {
            message = reader.whole(bytes, "the line");
        } catch (MalformedRequestException e) {
            // Parked as text on the dead-letter topic, so nothing sent is lost; the answer says why.
            progress.malformed.add(number);
            progress.reject(number, e.field(), e.getMessage());
            return new TrackingRequestReader.BatchElement(TextNode.valueOf(new String(bytes, StandardCharsets.UTF_8)),
                    bytes.length);
        }
        if (message instanceof ObjectNode object && !object.hasNonNull("messageId")) {
            object.put("messageId", "import-" + digest(bytes));
        }
        return new TrackingRequestReader.BatchElement(message, bytes.length);
    }

    /** The lines gathered for the next batch, with their line numbers and bytes. */
    private static final class Chunk {
        final List<TrackingRequestReader.BatchElement> elements = new ArrayList<>();
        final List<Long> lines = new ArrayList<>();
        long bytes;

        void add(TrackingRequestReader.BatchElement element, long line) {
            elements.add(element);
            lines.add(line);
            bytes += element.bytes();
        }
    }

    /** Sends the chunk, if it holds any line, and returns the one to gather the next lines in. */
    private Chunk flush(String source, Chunk chunk, ArrayDeque<Pending> inFlight, Progress progress) {
        if (chunk.elements.isEmpty()) {
            return chunk;
        }
        send(source, chunk.elements, chunk.lines, inFlight, progress);
        return new Chunk();
    }

    private void send(String source, List<TrackingRequestReader.BatchElement> chunk, List<Long> chunkLines,
            ArrayDeque<Pending> inFlight, Progress progress) {
        long[] lineOf = chunkLines.stream().mapToLong(Long::longValue).toArray();
        long waited = 0;
        while (true) {
            try {
                CompletableFuture<TrackingResponse> answer = collector
                        .collectElements(source, Channel.IMPORT, chunk, null, null, Instant.now(), System.nanoTime())
                        .subscribeAsCompletionStage();
                inFlight.addLast(new Pending(lineOf, answer));
                break;
            } catch (RateLimitExceededException e) {
                // An import is a client that can wait: it slows to the source's rate instead of failing.
                long pause = Math.max(1, e.retryAfterSeconds());
                waited += pause;
                if (waited > config.importing().maxRateLimitWait().toSeconds()) {
                    drain(inFlight, progress);
                    throw new ImportStoppedException(429, lineOf[0], pause, "the source's rate limit held the import "
                            + "for over " + config.importing().maxRateLimitWait().toSeconds() + " s", e);
                }
                drain(inFlight, progress);
                sleep(pause * 1000);
            } catch (EventNotStoredException e) {
                drain(inFlight, progress);
                throw new ImportStoppedException(503, lineOf[0], config.retryAfterSeconds(), "Kafka cannot take events now", e);
            }
        }
        while (inFlight.size() > config.importing().chunksInFlight()) {
            settle(inFlight.removeFirst(), progress);
        }
    }

    /** Waits for every batch in flight; the first failure stops the import at that batch's first line. */
    private void drain(ArrayDeque<Pending> inFlight, Progress progress) {
        while (!inFlight.isEmpty()) {
            settle(inFlight.removeFirst(), progress);
        }
    }

    private void settle(Pending pending, Progress progress) {
        TrackingResponse answer;
        try {
            answer = pending.answer().get();
        } catch (ExecutionException e) {
            throw new ImportStoppedException(503, pending.lineOf()[0], config.retryAfterSeconds(),
                    "Kafka did not acknowledge the events", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImportStoppedException(503, pending.lineOf()[0], config.retryAfterSeconds(), "interrupted", e);
        }
        long refusedHere = 0;
        for (RejectedEvent rejected : answer.rejected()) {
            long line = pending.lineOf()[rejected.index()];
            refusedHere++;
            if (!progress.malformed.remove(line)) {
                progress.reject(line, rejected.field(), rejected.reason());
            }
        }
        progress.accepted += pending.lineOf().length - refusedHere;
    }

    private static boolean isBlank(byte[] bytes) {
        for (byte b : bytes) {
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    private static String digest(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImportStoppedException(503, 0, 1, "interrupted", e);
        }
    }

    /** What an import has done so far. */
    private static final class Progress {
        long accepted;
        long rejectedCount;
        final List<RejectedLine> listed = new ArrayList<>();
        /** Lines already listed as not JSON, whose batch rejection must not list them again. */
        final Set<Long> malformed = new HashSet<>();

        void reject(long line, String field, String reason) {
            rejectedCount++;
            if (listed.size() < MAX_LISTED) {
                listed.add(new RejectedLine(line, field, reason));
            }
        }
    }
}
