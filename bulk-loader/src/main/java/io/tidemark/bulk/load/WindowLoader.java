package io.tidemark.bulk.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.bulk.config.JobConfig;
import io.tidemark.bulk.mapping.EventMapper;
import io.tidemark.bulk.mapping.MappedRow;
import io.tidemark.bulk.sink.ImportAnswer;
import io.tidemark.bulk.sink.IngestImportClient;
import io.tidemark.bulk.sink.IngestUnavailableException;
import io.tidemark.bulk.source.RowSource;

import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * Loads one window: rows stream from the cursor through the mapper into NDJSON chunks of bounded
 * size. One chunk is in flight to ingest while the next is built, so reading and sending overlap and
 * memory holds two chunks. It returns only when ingest acknowledged every chunk; any failure leaves
 * the window to be run again.
 */
public final class WindowLoader {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final JobConfig.Ingest ingest;
    private final EventMapper mapper;
    private final RowSource source;
    private final IngestImportClient sink;
    private final Consumer<String> progress;
    private final LoadReport report;
    private final double maxRowsPerSecond;
    private final int sample;
    /** Sends chunks one at a time beside the reading thread; daemon, so it never holds the JVM open. */
    private final ExecutorService sender = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "ingest-sender");
        thread.setDaemon(true);
        return thread;
    });

    /** {@code sink} null is a dry run: the first {@code sample} events are kept in the report, nothing is sent. */
    public WindowLoader(JobConfig.Ingest ingest, EventMapper mapper, RowSource source, IngestImportClient sink,
            Consumer<String> progress, LoadReport report, double maxRowsPerSecond, int sample) {
        this.ingest = ingest;
        this.mapper = mapper;
        this.source = source;
        this.sink = sink;
        this.progress = progress;
        this.report = report;
        this.maxRowsPerSecond = maxRowsPerSecond;
        this.sample = sample;
        if (sink == null) {
            report.dryRun();
        }
    }

    /** Loads [from, to); the rows ingest accepted. */
    public long load(Instant from, Instant to) throws Exception {
        Chunk chunk = new Chunk(from, to);
        long read = source.read(from, to, row -> {
            MappedRow mapped = mapper.map(row);
            if (mapped instanceof MappedRow.Unmappable bad) {
                report.refused(new LoadReport.RefusedRow(bad.key(), "mapping", bad.field(), bad.reason()));
                return true;
            }
            MappedRow.Event event = (MappedRow.Event) mapped;
            if (sink == null) {
                report.sample(event.event());
                return ++chunk.sampled < sample;
            }
            chunk.add(event);
            if (chunk.keys.size() >= ingest.chunkRows() || chunk.bytes.size() >= ingest.chunkBytes()) {
                chunk.send();
            }
            return true;
        });
        report.read(read);
        if (sink != null) {
            if (!chunk.keys.isEmpty()) {
                chunk.send();
            }
            chunk.settle();
        }
        progress.accept(String.format("window [%s, %s): %d rows read, %d accepted, %d refused", from, to, read,
                chunk.accepted, chunk.refused));
        return chunk.accepted;
    }

    /** A chunk sent and not yet answered, with the key of each of its lines. */
    private record InFlight(List<String> keys, CompletableFuture<ImportAnswer> answer) {
    }

    /** The chunk being built, the one in flight, and what the window's earlier chunks came to. */
    private final class Chunk {
        final Instant from;
        final Instant to;
        final Instant started = Instant.now();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        List<String> keys = new ArrayList<>();
        InFlight inFlight;
        long sent;
        long accepted;
        long refused;
        int sampled;

        Chunk(Instant from, Instant to) {
            this.from = from;
            this.to = to;
        }

        void add(MappedRow.Event event) throws Exception {
            bytes.write(JSON.writeValueAsBytes(event.event()));
            bytes.write('\n');
            keys.add(event.key());
        }

        /** Waits for the chunk in flight, then sends this one without waiting for its answer. */
        void send() throws Exception {
            settle();
            pace(sent + keys.size());
            byte[] body = bytes.toByteArray();
            inFlight = new InFlight(keys, CompletableFuture.supplyAsync(() -> {
                try {
                    return sink.send(body);
                } catch (IngestUnavailableException | InterruptedException e) {
                    throw new CompletionException(e);
                }
            }, sender));
            sent += keys.size();
            bytes.reset();
            keys = new ArrayList<>();
        }

        /** Waits for the chunk in flight, if any, and reports its refused lines by key. */
        void settle() throws Exception {
            if (inFlight == null) {
                return;
            }
            List<String> lineKeys = inFlight.keys();
            ImportAnswer answer;
            try {
                answer = inFlight.answer().join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            } finally {
                inFlight = null;
            }
            if (answer.accepted() + answer.rejectedCount() != lineKeys.size()) {
                throw new IngestUnavailableException("ingest answered for " + (answer.accepted() + answer.rejectedCount())
                        + " lines of a chunk of " + lineKeys.size());
            }
            for (ImportAnswer.RejectedLine line : answer.rejected()) {
                report.list(new LoadReport.RefusedRow(lineKeys.get((int) line.line() - 1), "ingest", line.field(), line.reason()));
            }
            report.refusedByIngest(answer.rejectedCount(), answer.rejected().size());
            report.accepted(answer.accepted());
            accepted += answer.accepted();
            refused += answer.rejectedCount();
            progress.accept(String.format("window [%s, %s): %d rows sent, %d accepted, %d refused", from, to, sent,
                    accepted, refused));
        }

        /** Holds the rate at {@code max-rows-per-second}, so a load cannot crowd out the source or ingest. */
        void pace(long rowsAfter) throws InterruptedException {
            if (maxRowsPerSecond <= 0) {
                return;
            }
            long due = started.toEpochMilli() + (long) (rowsAfter * 1000 / maxRowsPerSecond);
            long wait = due - System.currentTimeMillis();
            if (wait > 0) {
                Thread.sleep(wait);
            }
        }
    }
}
