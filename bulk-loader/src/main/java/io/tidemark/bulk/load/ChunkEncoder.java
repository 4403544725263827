package io.tidemark.bulk.load;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.bulk.mapping.EventMapper;
import io.tidemark.bulk.mapping.MappedRow;
import io.tidemark.bulk.sink.ImportAnswer;
import io.tidemark.bulk.sink.IngestImportClient;
import io.tidemark.bulk.sink.IngestUnavailableException;
import io.tidemark.bulk.source.SourceRow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;

/**
 * Maps rows as they are read and writes their events into NDJSON request bodies of at most
 * {@code chunk-rows} rows or about {@code chunk-bytes}. Each event is streamed into the body through
 * one generator per body, neither built as a tree nor serialized into a buffer of its own, so a row
 * is garbage as soon as it is written: only compact bodies wait for ingest.
 */
final class ChunkEncoder {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final EventMapper mapper;
    private final BodySegments segments = new BodySegments();
    private final int chunkRows;
    private final int chunkBytes;
    private Open open;
    private int rows;
    private List<MappedRow.Unmappable> unmappable = new ArrayList<>();

    ChunkEncoder(EventMapper mapper, int chunkRows, int chunkBytes) {
        this.mapper = mapper;
        this.chunkRows = chunkRows;
        this.chunkBytes = chunkBytes;
    }

    /** A request body (consecutive arrays) with the key of each of its lines, in order. */
    record Body(List<String> keys, List<byte[]> ndjson) {
    }

    /** A body ingest answered. */
    record Answered(List<String> keys, ImportAnswer answer) {
    }

    /** A batch mapped and encoded: how many rows were read into it, those that cannot be events, and its bodies. */
    record Encoded(int rows, List<MappedRow.Unmappable> unmappable, List<Body> bodies) {

        /** Sends the bodies one after the other; throws (unchecked) when one could not be stored. */
        Settled send(IngestImportClient sink) {
            List<Answered> answered = new ArrayList<>(bodies.size());
            for (Body body : bodies) {
                ImportAnswer answer;
                try {
                    answer = sink.send(body.ndjson());
                } catch (IngestUnavailableException | InterruptedException e) {
                    throw new CompletionException(e);
                }
                if (answer.accepted() + answer.rejectedCount() != body.keys().size()) {
                    throw new CompletionException(new IngestUnavailableException("ingest answered for "
                            + (answer.accepted() + answer.rejectedCount()) + " lines of a chunk of " + body.keys().size()));
                }
                answered.add(new Answered(body.keys(), answer));
            }
            return new Settled(unmappable, answered, bodies);
        }
    }

    /** A batch ingest answered whole; {@code sent} are its bodies, whose memory can be written again. */
    record Settled(List<MappedRow.Unmappable> unmappable, List<Answered> chunks, List<Body> sent) {
    }

    /** The memory of a settled batch's bodies goes to the next ones: call once ingest answered them. */
    void reuse(Settled settled) {
        for (Body body : settled.sent()) {
            segments.giveBack(body.ndjson());
        }
    }

    /**
     * Maps the row and streams its event into the open body. Answers the batch once it holds
     * {@code chunk-rows} rows or its body {@code chunk-bytes}, else null.
     */
    Encoded add(SourceRow row) {
        try {
            if (open == null) {
                open = new Open(segments.open());
            }
            rows++;
            MappedRow mapped = mapper.write(row, open.generator);
            if (mapped instanceof MappedRow.Unmappable bad) {
                unmappable.add(bad); // nothing of it was written
            } else {
                open.ended(mapped.key());
            }
            return rows >= chunkRows || open.size() >= chunkBytes ? finish() : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The batch so far (null if no row was added since the last one); the next row starts another. */
    Encoded finish() {
        if (rows == 0) {
            return null;
        }
        try {
            List<Body> bodies = open.keys.isEmpty() ? List.of() : List.of(open.close());
            Encoded encoded = new Encoded(rows, unmappable, bodies);
            open = null;
            rows = 0;
            unmappable = new ArrayList<>();
            return encoded;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A body being written. */
    private static final class Open {
        final BodySegments.Output bytes;
        final JsonGenerator generator;
        final List<String> keys = new ArrayList<>();

        Open(BodySegments.Output bytes) throws IOException {
            this.bytes = bytes;
            generator = JSON.createGenerator(bytes, JsonEncoding.UTF8);
            generator.setRootValueSeparator(null);
        }

        /** The event of the row with this key was written: end its line. */
        void ended(String key) throws IOException {
            generator.writeRaw('\n');
            keys.add(key);
        }

        /** Bytes written so far (flushing the generator's buffer to count them). */
        long size() throws IOException {
            generator.flush();
            return bytes.size();
        }

        Body close() throws IOException {
            generator.close();
            return new Body(List.copyOf(keys), bytes.parts());
        }
    }
}
