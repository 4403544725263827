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

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;

/**
 * Maps one batch of rows and writes its events as NDJSON request bodies of at most about
 * {@code chunk-bytes} each (a batch of wide rows becomes several), on a pool thread. Each event is
 * streamed into the body through one generator per body, not serialized into a buffer of its own.
 */
final class ChunkEncoder {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** A body's first buffer; it grows to the chunk's size by doubling. */
    private static final int FIRST_BUFFER_BYTES = 64 * 1024;

    private final EventMapper mapper;
    private final int chunkBytes;

    ChunkEncoder(EventMapper mapper, int chunkBytes) {
        this.mapper = mapper;
        this.chunkBytes = chunkBytes;
    }

    /** A request body with the key of each of its lines, in order. */
    record Body(List<String> keys, byte[] ndjson) {
    }

    /** A body ingest answered. */
    record Answered(List<String> keys, ImportAnswer answer) {
    }

    /** A batch mapped and encoded: its rows that cannot be events, and its bodies. */
    record Encoded(List<MappedRow.Unmappable> unmappable, List<Body> bodies) {

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
            return new Settled(unmappable, answered);
        }
    }

    /** A batch ingest answered whole. */
    record Settled(List<MappedRow.Unmappable> unmappable, List<Answered> chunks) {
    }

    Encoded encode(List<SourceRow> rows) {
        List<MappedRow.Unmappable> unmappable = new ArrayList<>();
        List<Body> bodies = new ArrayList<>();
        try {
            Open open = null;
            for (SourceRow row : rows) {
                MappedRow mapped = mapper.map(row);
                if (mapped instanceof MappedRow.Unmappable bad) {
                    unmappable.add(bad);
                    continue;
                }
                MappedRow.Event event = (MappedRow.Event) mapped;
                if (open == null) {
                    open = new Open();
                }
                open.write(event);
                if (open.size() >= chunkBytes) {
                    bodies.add(open.close());
                    open = null;
                }
            }
            if (open != null) {
                bodies.add(open.close());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        rows.clear(); // the rows are events now: let them go before the bodies wait for ingest
        return new Encoded(unmappable, bodies);
    }

    /** A body being written. */
    private static final class Open {
        final ByteArrayOutputStream bytes;
        final JsonGenerator generator;
        final List<String> keys = new ArrayList<>();

        Open() throws IOException {
            bytes = new ByteArrayOutputStream(FIRST_BUFFER_BYTES);
            generator = JSON.createGenerator(bytes, JsonEncoding.UTF8);
            generator.setRootValueSeparator(null);
        }

        void write(MappedRow.Event event) throws IOException {
            generator.writeTree(event.event());
            generator.writeRaw('\n');
            keys.add(event.key());
        }

        /** Bytes written so far (flushing the generator's buffer to count them). */
        long size() throws IOException {
            generator.flush();
            return bytes.size();
        }

        Body close() throws IOException {
            generator.close();
            return new Body(List.copyOf(keys), bytes.toByteArray());
        }
    }
}
