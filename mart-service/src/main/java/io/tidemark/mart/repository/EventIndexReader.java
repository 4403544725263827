package io.tidemark.mart.repository;

import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.tidemark.event.EventIndexLayout;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.LocalDate;
import java.util.concurrent.CompletionStage;
import java.util.stream.IntStream;

/** Reads the Cassandra event-time index written by dedup-service. */
@ApplicationScoped
public class EventIndexReader {

    private static final String USERS_OF_DAY = "SELECT user_id, anonymous_id FROM tidemark.events_by_day "
            + "WHERE source = ? AND event_date = ? AND bucket = ?";
    private static final String SOURCE_SEEN = "SELECT source FROM tidemark.changed_days WHERE source = ? LIMIT 1";

    // A stage, not the session: a request on an event loop must never wait for the driver to connect.
    private final CompletionStage<QuarkusCqlSession> session;

    public EventIndexReader(CompletionStage<QuarkusCqlSession> session) {
        this.session = session;
    }

    private Uni<QuarkusCqlSession> connected() {
        return Uni.createFrom().completionStage(session);
    }

    /** The counted user of every event stored for the day, across all of the day's buckets. */
    public Multi<String> usersOfDay(String source, LocalDate day) {
        return Multi.createFrom().items(IntStream.range(0, EventIndexLayout.BUCKETS_PER_DAY).boxed())
                .onItem().transformToMultiAndConcatenate(bucket -> connected().onItem().transformToMulti(
                        cql -> cql.executeReactive(SimpleStatement.newInstance(USERS_OF_DAY, source, day, bucket.shortValue()))))
                .map(row -> row.getString("user_id") != null ? row.getString("user_id") : row.getString("anonymous_id"));
    }

    /** Whether any event was ever stored for the source. */
    public Uni<Boolean> sourceExists(String source) {
        return connected().flatMap(cql -> cql.executeReactive(SimpleStatement.newInstance(SOURCE_SEEN, source))
                .collect().first().map(row -> row != null));
    }
}
