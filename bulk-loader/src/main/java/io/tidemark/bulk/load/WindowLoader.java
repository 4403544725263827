package io.tidemark.bulk.load;

import io.tidemark.bulk.config.JobConfig;
import io.tidemark.bulk.mapping.EventMapper;
import io.tidemark.bulk.mapping.MappedRow;
import io.tidemark.bulk.sink.IngestImportClient;
import io.tidemark.bulk.source.RowSource;
import io.tidemark.bulk.source.SourceRow;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Loads one window as a pipeline: the cursor is read on a thread of its own (a JDBC result set is
 * sequential) and handed over in small batches ({@link ReadAhead}); the calling thread maps each row and
 * streams its event into the chunk being written; every {@code chunk-rows} rows the chunk goes to a
 * sending pool while later rows are read. Only a few small batches of rows wait between the two threads:
 * batches of rows queued for a mapping pool survived young collections, and copying them cost the loader
 * a third of its time in GC pauses (bench/run bulk, -Xlog:gc). At most {@code in-flight-chunks} chunks are
 * being sent and one is being written: memory is bounded by the chunk size whatever the window's size.
 * Answers are settled in the order the batches were read (progress counts only grow), and the window
 * returns only when every batch was answered; any failure leaves the window to be run again, which is
 * safe because each row's messageId is the same every time. Nothing here depends on the order ingest
 * stores the chunks in.
 */
public final class WindowLoader {

    private final JobConfig.Ingest ingest;
    private final EventMapper mapper;
    private final RowSource source;
    private final IngestImportClient sink;
    private final Consumer<String> progress;
    private final LoadReport report;
    private final double maxRowsPerSecond;
    private final int sample;
    /** Waits for ingest's answers: one thread per chunk that may be in flight. */
    private final ExecutorService sending;
    /** Reads the cursor ahead of the mapping (a result set is read on one thread). */
    private final ExecutorService reading;

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
        this.sending = Executors.newFixedThreadPool(ingest.inFlightChunks(), daemonThreads("bulk-sender"));
        this.reading = Executors.newSingleThreadExecutor(daemonThreads("bulk-reader"));
        if (sink == null) {
            report.dryRun();
        }
    }

    /** Daemon threads: a failed run prints its summary and exits without waiting for chunks still in flight. */
    private static java.util.concurrent.ThreadFactory daemonThreads(String name) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Loads [from, to); the rows ingest accepted. */
    public long load(Instant from, Instant to) throws Exception {
        if (sink == null) {
            return dryRun(from, to);
        }
        Pipeline pipeline = new Pipeline(from, to);
        long read;
        try (ReadAhead rows = new ReadAhead(source, from, to, ingest.chunkRows(), reading)) {
            for (SourceRow[] batch = rows.next(); batch != null; batch = rows.next()) {
                for (SourceRow row : batch) {
                    pipeline.add(row);
                }
            }
            read = rows.rowsRead();
        }
        report.read(read);
        pipeline.finish();
        progress.accept(String.format("window [%s, %s): %d rows read, %d accepted, %d refused", from, to, read,
                pipeline.accepted, pipeline.refused));
        return pipeline.accepted;
    }

    /** Maps on the reading thread and keeps the first events: a sample is wanted in the source's order, and small. */
    private long dryRun(Instant from, Instant to) throws Exception {
        int[] sampled = {0};
        long read = source.read(from, to, row -> {
            MappedRow mapped = mapper.map(row);
            if (mapped instanceof MappedRow.Unmappable bad) {
                report.refused(new LoadReport.RefusedRow(bad.key(), "mapping", bad.field(), bad.reason()));
                return true;
            }
            report.sample(((MappedRow.Event) mapped).event());
            return ++sampled[0] < sample;
        });
        report.read(read);
        progress.accept(String.format("window [%s, %s): %d rows read, dry run", from, to, read));
        return 0;
    }

    /** The batch being read, the batches in flight (oldest first), and what the window's settled batches came to. */
    private final class Pipeline {
        final Instant from;
        final Instant to;
        final long started = System.currentTimeMillis();
        final Deque<CompletableFuture<ChunkEncoder.Settled>> inFlight = new ArrayDeque<>();
        final ChunkEncoder encoder = new ChunkEncoder(mapper, ingest.chunkRows(), ingest.chunkBytes());
        long submitted;
        long sent;
        long accepted;
        long refused;

        Pipeline(Instant from, Instant to) {
            this.from = from;
            this.to = to;
        }

        void add(SourceRow row) throws Exception {
            ChunkEncoder.Encoded full = encoder.add(row);
            if (full != null) {
                submit(full);
            }
        }

        void finish() throws Exception {
            ChunkEncoder.Encoded rest = encoder.finish();
            if (rest != null) {
                submit(rest);
            }
            while (!inFlight.isEmpty()) {
                settleOldest();
            }
        }

        /** Hands the batch to the sending pool once there is room for it: the cursor waits, memory stays bounded. */
        void submit(ChunkEncoder.Encoded encoded) throws Exception {
            while (inFlight.size() >= ingest.inFlightChunks()) {
                settleOldest();
            }
            submitted += encoded.rows();
            pace(submitted);
            inFlight.add(CompletableFuture.supplyAsync(() -> encoded.send(sink), sending));
        }

        /** Waits for the oldest batch and reports it: refused rows by key, accepted rows counted. */
        void settleOldest() throws Exception {
            ChunkEncoder.Settled settled;
            try {
                settled = inFlight.removeFirst().join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
            encoder.reuse(settled);
            for (MappedRow.Unmappable bad : settled.unmappable()) {
                report.refused(new LoadReport.RefusedRow(bad.key(), "mapping", bad.field(), bad.reason()));
            }
            refused += settled.unmappable().size();
            for (ChunkEncoder.Answered chunk : settled.chunks()) {
                for (var line : chunk.answer().rejected()) {
                    report.list(new LoadReport.RefusedRow(chunk.keys().get((int) line.line() - 1), "ingest", line.field(),
                            line.reason()));
                }
                report.refusedByIngest(chunk.answer().rejectedCount(), chunk.answer().rejected().size());
                report.accepted(chunk.answer().accepted());
                sent += chunk.keys().size();
                accepted += chunk.answer().accepted();
                refused += chunk.answer().rejectedCount();
            }
            progress.accept(String.format("window [%s, %s): %d rows sent, %d accepted, %d refused", from, to, sent,
                    accepted, refused));
        }

        /** Holds the rate at {@code max-rows-per-second}, so a load cannot crowd out the source or ingest. */
        void pace(long rowsAfter) throws InterruptedException {
            if (maxRowsPerSecond <= 0) {
                return;
            }
            long wait = started + (long) (rowsAfter * 1000 / maxRowsPerSecond) - System.currentTimeMillis();
            if (wait > 0) {
                Thread.sleep(wait);
            }
        }
    }
}
