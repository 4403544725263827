package io.tidemark.mart.repository;

import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.tidemark.mart.config.MartConfig;
import io.tidemark.event.EventIndexLayout;
import io.tidemark.mart.model.HourRange;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reads the Cassandra event-time index written by dedup-service, a day at a time, for the export.
 * Up to {@link #OPEN_BUCKETS} of the day's buckets are read at once, one page request in flight per
 * bucket, while one or more lanes consume pages: the reads overlap, memory stays at a page per open
 * bucket.
 */
@ApplicationScoped
public class EventIndexReader {

    /** The columns a mart file holds, in file order. */
    public static final String COLUMNS = "event_time, message_id, type, event, user_id, anonymous_id, group_id, "
            + "previous_id, properties, traits, context, received_at, sent_at, flags";
    private static final String ROWS_OF_BUCKET = "SELECT " + COLUMNS + " FROM tidemark.events_by_day "
            + "WHERE source = ? AND event_date = ? AND bucket = ?";
    private static final String ROWS_OF_BUCKET_IN = ROWS_OF_BUCKET + " AND event_time >= ? AND event_time < ?";

    /**
     * Buckets read at once: a busy day has up to 32,768, and a request for each at once would pass what
     * the driver keeps in flight on a connection and hold a page of each in memory.
     */
    private static final int OPEN_BUCKETS = 32;

    private record Page(AsyncResultSet rows, Throwable failure) {
    }

    private final QuarkusCqlSession session;
    private final ConsistencyLevel consistency;

    public EventIndexReader(QuarkusCqlSession session, MartConfig config) {
        this.session = session;
        this.consistency = config.cassandra().consistency();
    }

    /**
     * Hands every row stored for the day whose event time falls in one of {@code slices} (a range of
     * the clustering key in each bucket, so Cassandra reads only those rows), across all of the day's
     * buckets, to sinks opened by {@code open}, one per lane; returns the count. The buckets are those of the day's
     * highest recorded layout, read first: a layout recorded after that read only adds buckets for rows
     * whose change mark comes after this export's.
     *
     * <p>The day's reads are dealt out to up to {@code lanes} lanes, each consuming its own pages on a
     * thread of its own (the first on the calling thread), so decoding rows and handing them on runs on
     * as many cores as there are lanes while Cassandra serves the reads. A lane's sink is opened, fed
     * and closed on the lane's own thread, after its last row or its failure. The first failure stops
     * every lane and is thrown.
     */
    public long forEachRowOfDay(String source, LocalDate day, List<HourRange> slices, int pageSize, int lanes,
            Callable<RowSink> open, Executor helpers) {
        int buckets = buckets(source, day);
        List<SimpleStatement> reads = new ArrayList<>(buckets * slices.size());
        for (HourRange slice : slices) {
            for (int bucket = 0; bucket < buckets; bucket++) {
                reads.add(slice.equals(HourRange.WHOLE_DAY)
                        ? SimpleStatement.newInstance(ROWS_OF_BUCKET, source, day, (short) bucket)
                        : SimpleStatement.newInstance(ROWS_OF_BUCKET_IN, source, day, (short) bucket,
                                slice.start(day), slice.end(day)));
            }
        }
        int count = Math.max(1, Math.min(lanes, reads.size()));
        AtomicBoolean failed = new AtomicBoolean();
        List<CompletableFuture<Long>> others = new ArrayList<>(count - 1);
        for (int lane = 1; lane < count; lane++) {
            Lane work = new Lane(share(reads, lane, count), pageSize, OPEN_BUCKETS / count, open, failed);
            others.add(CompletableFuture.supplyAsync(() -> work.run(source, day), helpers));
        }
        long rows = 0;
        RuntimeException failure = null;
        try {
            rows += new Lane(share(reads, 0, count), pageSize, OPEN_BUCKETS / count, open, failed).run(source, day);
        } catch (RuntimeException e) {
            failed.set(true);
            failure = e;
        }
        for (CompletableFuture<Long> other : others) {
            try {
                rows += other.join();
            } catch (CompletionException | CancellationException e) {
                failed.set(true);
                failure = worst(failure, e.getCause() instanceof RuntimeException runtime ? runtime : e);
            }
        }
        if (failure != null) {
            throw failure;
        }
        return rows;
    }

    /** The failure to throw: a lane's own, rather than another's that only stopped because of it. */
    private static RuntimeException worst(RuntimeException so, RuntimeException more) {
        if (so == null) {
            return more;
        }
        RuntimeException first = so instanceof LaneStopped && !(more instanceof LaneStopped) ? more : so;
        RuntimeException second = first == so ? more : so;
        if (!(second instanceof LaneStopped)) {
            first.addSuppressed(second);
        }
        return first;
    }

    /** Where one lane's rows go. Opened, fed and closed on the lane's own thread. */
    public interface RowSink extends AutoCloseable {

        void accept(Row row);
    }

    /** A lane that gave up because another lane failed. */
    private static final class LaneStopped extends IllegalStateException {

        LaneStopped(String message) {
            super(message);
        }
    }

    private static List<SimpleStatement> share(List<SimpleStatement> reads, int lane, int lanes) {
        List<SimpleStatement> share = new ArrayList<>(reads.size() / lanes + 1);
        for (int read = lane; read < reads.size(); read += lanes) {
            share.add(reads.get(read));
        }
        return share;
    }

    /** One lane's reads: a few open at once, their pages consumed on the lane's thread as they arrive. */
    private final class Lane {

        private final List<SimpleStatement> reads;
        private final int pageSize;
        private final int inFlight;
        private final Callable<RowSink> open;
        private final AtomicBoolean failed;

        Lane(List<SimpleStatement> reads, int pageSize, int inFlight, Callable<RowSink> open, AtomicBoolean failed) {
            this.reads = reads;
            this.pageSize = pageSize;
            this.inFlight = Math.max(1, inFlight);
            this.open = open;
            this.failed = failed;
        }

        long run(String source, LocalDate day) {
            try (RowSink sink = open.call()) {
                return run(source, day, sink);
            } catch (RuntimeException e) {
                failed.set(true);
                throw e;
            } catch (Exception e) {
                failed.set(true);
                throw new IllegalStateException("reading " + source + " " + day + ": its rows could not be kept", e);
            }
        }

        private long run(String source, LocalDate day, RowSink sink) {
            BlockingQueue<Page> pages = new LinkedBlockingQueue<>();
            int open = Math.min(reads.size(), inFlight);
            for (int read = 0; read < open; read++) {
                request(firstPage(reads.get(read), pageSize), pages);
            }
            // Each read that is done hands its slot to the next one not started yet.
            int next = open;
            long rows = 0;
            try {
                while (open > 0) {
                    Page page = pages.poll(1, TimeUnit.SECONDS);
                    if (failed.get()) {
                        throw new LaneStopped("reading " + source + " " + day + " stopped: another lane failed");
                    }
                    if (page == null) {
                        continue;
                    }
                    if (page.failure() != null) {
                        failed.set(true);
                        throw new IllegalStateException("reading " + source + " " + day + " failed", page.failure());
                    }
                    for (Row row : page.rows().currentPage()) {
                        sink.accept(row);
                        rows++;
                    }
                    if (page.rows().hasMorePages()) {
                        request(page.rows().fetchNextPage(), pages);
                    } else if (next < reads.size()) {
                        request(firstPage(reads.get(next++), pageSize), pages);
                    } else {
                        open--;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failed.set(true);
                throw new IllegalStateException("interrupted while reading " + source + " " + day, e);
            } catch (RuntimeException e) {
                failed.set(true);
                throw e;
            }
            return rows;
        }
    }

    private CompletionStage<AsyncResultSet> firstPage(SimpleStatement read, int pageSize) {
        return session.executeAsync(read.setPageSize(pageSize).setConsistencyLevel(consistency));
    }

    private int buckets(String source, LocalDate day) {
        Row layout = session.execute(SimpleStatement.newInstance(EventIndexLayout.HIGHEST_BUCKETS_CQL, source, day)
                .setConsistencyLevel(consistency)).one();
        return EventIndexLayout.bucketsToRead(layout == null ? null : layout.getInt("buckets"));
    }

    private static void request(CompletionStage<AsyncResultSet> page, BlockingQueue<Page> pages) {
        page.whenComplete((rows, failure) -> pages.add(new Page(rows, failure)));
    }
}
