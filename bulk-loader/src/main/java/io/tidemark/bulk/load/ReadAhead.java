package io.tidemark.bulk.load;

import io.tidemark.bulk.source.RowSource;
import io.tidemark.bulk.source.SourceRow;

import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A window's rows read on a thread of its own and handed to the mapping thread in small batches, so the
 * cursor's fetches and the driver's decoding overlap mapping and encoding instead of taking turns with
 * them on one thread. Few rows wait at once ({@link #BATCHES_AHEAD} batches of {@link #BATCH_ROWS}): rows
 * that wait long survive young collections, which is what made a pool of mapping threads fed batches of
 * rows slower (see WindowLoader). Reading stops early when the consumer stops, so the cursor is closed
 * before the run ends.
 */
final class ReadAhead implements AutoCloseable {

    /** Rows per hand-over at most (fewer if chunks are smaller): the queue is touched once per batch, not per row. */
    static final int BATCH_ROWS = 500;
    /** Batches read ahead of the mapping: enough to cover a fetch round trip, few enough to die young. */
    static final int BATCHES_AHEAD = 2;
    private static final SourceRow[] END = new SourceRow[0];
    private static final long DRAIN_POLL_MILLIS = 50;

    private final BlockingQueue<SourceRow[]> batches = new ArrayBlockingQueue<>(BATCHES_AHEAD);
    private final Future<Long> reading;
    private volatile boolean stopped;
    private boolean ended;

    /** Rows per hand-over for chunks of {@code chunkRows}: a batch larger than a chunk would only wait longer. */
    static int batchRows(int chunkRows) {
        return Math.min(BATCH_ROWS, chunkRows);
    }

    /** Rows read and not yet taken by the consumer at most: those queued, the batch being filled, the one taken. */
    static long mostRowsAhead(int chunkRows) {
        return (long) (BATCHES_AHEAD + 2) * batchRows(chunkRows);
    }

    /** Starts reading [from, to) of {@code source} on {@code reader} (one thread), for chunks of {@code chunkRows}. */
    ReadAhead(RowSource source, Instant from, Instant to, int chunkRows, ExecutorService reader) {
        int batchRows = batchRows(chunkRows);
        this.reading = reader.submit(() -> {
            SourceRow[] batch = new SourceRow[batchRows];
            int[] filled = {0};
            try {
                long read = source.read(from, to, row -> {
                    if (stopped) {
                        return false;
                    }
                    batch[filled[0]++] = row;
                    if (filled[0] == batchRows) {
                        batches.put(batch.clone());
                        Arrays.fill(batch, null);
                        filled[0] = 0;
                    }
                    return true;
                });
                if (filled[0] > 0 && !stopped) {
                    batches.put(Arrays.copyOf(batch, filled[0]));
                }
                return read;
            } finally {
                // Also after a failure: the consumer learns of it from the future once it sees the end.
                batches.put(END);
            }
        });
    }

    /** The next batch of rows in the source's order, or null once every row was handed over. */
    SourceRow[] next() throws InterruptedException {
        if (ended) {
            return null;
        }
        SourceRow[] batch = batches.take();
        if (batch == END) {
            ended = true;
            return null;
        }
        return batch;
    }

    /** After {@link #next} answered null: the rows the source read, or the reason it failed. */
    long rowsRead() throws Exception {
        try {
            return reading.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /** Stops reading if it has not ended and waits until the cursor is closed; rows still queued are dropped. */
    @Override
    public void close() throws InterruptedException {
        stopped = true;
        while (!reading.isDone()) {
            batches.poll(DRAIN_POLL_MILLIS, TimeUnit.MILLISECONDS);
        }
        batches.clear();
    }
}
