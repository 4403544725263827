package io.tidemark.mart.rest;

import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.tidemark.event.EventIndexLayout;

import java.time.Instant;
import java.util.UUID;

import static io.restassured.RestAssured.given;

/** Writes events the way dedup-service does (row, then changed day) and runs the export for a test source. */
final class StoredEvents {

    static final String TOKEN = "dev-read-token";

    private final QuarkusCqlSession session;
    final String source;

    StoredEvents(QuarkusCqlSession session) {
        this(session, "mart-test-" + UUID.randomUUID().toString().substring(0, 8));
    }

    /** Events of a named source, for tests whose configuration names it; its rows accumulate across runs. */
    StoredEvents(QuarkusCqlSession session, String source) {
        this.session = session;
        this.source = source;
    }

    void store(String time, String event, String userId, String anonymousId) {
        Instant eventTime = Instant.parse(time);
        String messageId = UUID.randomUUID().toString();
        session.execute(SimpleStatement.newInstance("INSERT INTO tidemark.events_by_day (source, event_date, bucket, "
                        + "event_time, message_id, type, event, user_id, anonymous_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                source, EventIndexLayout.eventDay(eventTime), EventIndexLayout.bucket(messageId), eventTime, messageId,
                "track", event, userId, anonymousId));
        session.execute(SimpleStatement.newInstance(
                "INSERT INTO tidemark.changed_days (source, event_date, changed_at) VALUES (?, ?, ?)",
                source, EventIndexLayout.eventDay(eventTime), Instant.now()));
    }

    /** Stores {@code count} events of one user, one second apart from {@code start}, in reverse time order. */
    void storeMany(String start, int count) {
        Instant first = Instant.parse(start);
        var writes = new java.util.ArrayList<java.util.concurrent.CompletableFuture<?>>();
        for (int i = count - 1; i >= 0; i--) {
            Instant eventTime = first.plusSeconds(i);
            String messageId = UUID.randomUUID().toString();
            writes.add(session.executeAsync(SimpleStatement.newInstance("INSERT INTO tidemark.events_by_day (source, "
                            + "event_date, bucket, event_time, message_id, type, event, user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    source, EventIndexLayout.eventDay(eventTime), EventIndexLayout.bucket(messageId), eventTime, messageId,
                    "track", "Tick", "ticker")).toCompletableFuture());
            // Bounded: the driver refuses requests beyond what its connection has in flight.
            if (writes.size() == 100) {
                writes.forEach(java.util.concurrent.CompletableFuture::join);
                writes.clear();
            }
        }
        writes.forEach(java.util.concurrent.CompletableFuture::join);
        session.execute(SimpleStatement.newInstance(
                "INSERT INTO tidemark.changed_days (source, event_date, changed_at) VALUES (?, ?, ?)",
                source, EventIndexLayout.eventDay(first), Instant.now()));
    }

    /** POST /api/v1/exports for this source; returns the number of days it rewrote. */
    int export() {
        return given().auth().oauth2(TOKEN).queryParam("source", source)
                .when().post("/api/v1/exports")
                .then().statusCode(200)
                .extract().path("exported.size()");
    }
}
