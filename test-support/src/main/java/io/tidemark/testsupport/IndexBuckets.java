package io.tidemark.testsupport;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import io.tidemark.event.EventIndexLayout;

import java.time.LocalDate;

/** The buckets of a (source, day) of the event-time index a reader scans: the highest recorded layout's, else the original. */
public final class IndexBuckets {

    private IndexBuckets() {
    }

    public static int toRead(CqlSession session, String source, LocalDate day) {
        Row layout = session.execute(EventIndexLayout.HIGHEST_BUCKETS_CQL, source, day).one();
        return EventIndexLayout.bucketsToRead(layout == null ? null : layout.getInt("buckets"));
    }
}
