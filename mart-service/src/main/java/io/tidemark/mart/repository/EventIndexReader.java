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
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Reads the Cassandra event-time index written by dedup-service, a day at a time, for the export.
 * Up to {@link #OPEN_BUCKETS} of the day's buckets are read at once, shared among the lanes that
 * consume their pages, with one page request in flight per bucket: the reads overlap, memory stays at a
 * page per open bucket.
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
     * The reads of every row stored for the day whose event time falls in one of {@code slices} (a
     * range of the clustering key in each bucket, so Cassandra reads only those rows), across all of the
     * day's buckets. The buckets are those of the day's highest recorded layout, read now: a layout
     * recorded after that only adds buckets for rows whose change mark comes after this export's.
     */
    public DayReads reads(String source, LocalDate day, List<HourRange> slices) {
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
        return new DayReads(source, day, List.copyOf(reads));
    }

    /** A day's reads, to be shared out among lanes. */
    public record DayReads(String source, LocalDate day, List<SimpleStatement> statements) {

        public int count() {
            return statements.size();
        }
    }

    /**
     * Hands the rows of one lane's share of {@code reads} (reads {@code lane}, {@code lane + lanes}, ...)
     * to {@code sink}, on the calling thread; returns the count. A few of its reads are open at once, their
     * pages consumed as they arrive. Gives up with a {@link CancellationException} once {@code stopped}.
     */
    public long read(DayReads reads, int lane, int lanes, int pageSize, Consumer<Row> sink, BooleanSupplier stopped) {
        List<SimpleStatement> share = new ArrayList<>(reads.count() / lanes + 1);
        for (int read = lane; read < reads.count(); read += lanes) {
            share.add(reads.statements().get(read));
        }
        String what = reads.source() + " " + reads.day();
        BlockingQueue<Page> pages = new LinkedBlockingQueue<>();
        int open = Math.min(share.size(), Math.max(1, OPEN_BUCKETS / lanes));
        for (int read = 0; read < open; read++) {
            request(firstPage(share.get(read), pageSize), pages);
        }
        // Each read that is done hands its slot to the next one not started yet.
        int next = open;
        long rows = 0;
        try {
            while (open > 0) {
                Page page = pages.poll(1, TimeUnit.SECONDS);
                if (stopped.getAsBoolean()) {
                    throw new CancellationException("reading " + what + " stopped: another lane failed, or the mart is stopping");
                }
                if (page == null) {
                    continue;
                }
                if (page.failure() != null) {
                    throw new IllegalStateException("reading " + what + " failed", page.failure());
                }
                for (Row row : page.rows().currentPage()) {
                    sink.accept(row);
                    rows++;
                }
                if (page.rows().hasMorePages()) {
                    request(page.rows().fetchNextPage(), pages);
                } else if (next < share.size()) {
                    request(firstPage(share.get(next++), pageSize), pages);
                } else {
                    open--;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading " + what, e);
        }
        return rows;
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
