package io.tidemark.mart.rest;

import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.restassured.path.json.JsonPath;
import io.tidemark.event.ChangedHours;
import io.tidemark.event.EventIndexLayout;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

/** Writes events the way dedup-service does (row, then the day's change marks) and runs the export for a test source. */
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
        storeByClock(time, event, userId, anonymousId, Duration.ZERO);
    }

    /**
     * Stores an event as a dedup host whose clock is {@code behind} the real time would: its
     * changed_at, and the write timestamp its driver gives every write, are that much earlier.
     */
    void storeByClock(String time, String event, String userId, String anonymousId, Duration behind) {
        Instant eventTime = Instant.parse(time);
        String messageId = UUID.randomUUID().toString();
        session.execute(SimpleStatement.newInstance("INSERT INTO tidemark.events_by_day (source, event_date, bucket, "
                        + "event_time, message_id, type, event, user_id, anonymous_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                source, EventIndexLayout.eventDay(eventTime), EventIndexLayout.bucket(messageId), eventTime, messageId,
                "track", event, userId, anonymousId));
        markChanged(EventIndexLayout.eventDay(eventTime), Instant.now().minus(behind));
    }

    /** Stores one event whose row Cassandra drops {@code ttlSeconds} after this write, as it drops dedup's after event-ttl. */
    void storeExpiring(Instant eventTime, String userId, int ttlSeconds) {
        String messageId = UUID.randomUUID().toString();
        session.execute(SimpleStatement.newInstance("INSERT INTO tidemark.events_by_day (source, event_date, bucket, "
                        + "event_time, message_id, type, event, user_id, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?",
                source, EventIndexLayout.eventDay(eventTime), EventIndexLayout.bucket(messageId), eventTime, messageId,
                "track", "Aged", userId, Set.of("replayed"), ttlSeconds));
        changed(eventTime);
    }

    /**
     * Stores one event with everything the analytics read: when it happened and when ingest received
     * it (null: an event without receivedAt), its user, and its properties and context as JSON text.
     */
    void store(Instant eventTime, Instant receivedAt, String event, String userId, String properties, String context) {
        String messageId = UUID.randomUUID().toString();
        session.execute(SimpleStatement.newInstance("INSERT INTO tidemark.events_by_day (source, event_date, bucket, "
                        + "event_time, message_id, type, event, user_id, properties, context, received_at) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                source, EventIndexLayout.eventDay(eventTime), EventIndexLayout.bucket(messageId), eventTime, messageId,
                "track", event, userId, properties, context, receivedAt));
        changed(eventTime);
    }

    /** Stores {@code count} events at {@code eventTime}, each by its own user, all received {@code delay} later. */
    void storeArrivals(Instant eventTime, java.time.Duration delay, int count) {
        var writes = new java.util.ArrayList<java.util.concurrent.CompletableFuture<?>>();
        for (int i = 0; i < count; i++) {
            String messageId = UUID.randomUUID().toString();
            writes.add(session.executeAsync(SimpleStatement.newInstance("INSERT INTO tidemark.events_by_day (source, "
                            + "event_date, bucket, event_time, message_id, type, event, user_id, received_at) "
                            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    source, EventIndexLayout.eventDay(eventTime), EventIndexLayout.bucket(messageId), eventTime, messageId,
                    "track", "Tick", "arrival-" + i, eventTime.plus(delay))).toCompletableFuture());
            // Bounded: the driver refuses requests beyond what its connection has in flight.
            if (writes.size() == 100) {
                writes.forEach(java.util.concurrent.CompletableFuture::join);
                writes.clear();
            }
        }
        writes.forEach(java.util.concurrent.CompletableFuture::join);
        changed(eventTime);
    }

    /** Stores one event with a value in every column the export writes: {@code text} in each text column. */
    void storeEveryColumn(Instant eventTime, String messageId, String text, Set<String> flags) {
        Instant receivedAt = eventTime.plusSeconds(1);
        session.execute(SimpleStatement.newInstance("INSERT INTO tidemark.events_by_day (source, event_date, bucket, "
                        + "event_time, message_id, type, event, user_id, anonymous_id, group_id, previous_id, properties, "
                        + "traits, context, received_at, sent_at, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                source, EventIndexLayout.eventDay(eventTime), EventIndexLayout.bucket(messageId), eventTime, messageId,
                "track", text, text, text, text, text, "{\"k\":\"" + text + "\"}", "{\"k\":\"" + text + "\"}",
                "{\"k\":\"" + text + "\"}", receivedAt, eventTime.minusMillis(1), flags));
        changed(eventTime);
    }

    private void changed(Instant eventTime) {
        session.execute(SimpleStatement.newInstance(
                "INSERT INTO tidemark.changed_days (source, event_date, changed_at) VALUES (?, ?, ?)",
                source, EventIndexLayout.eventDay(eventTime), Instant.now()));
    }

    /** Stores {@code count} events of one user, one second apart from {@code start}, in reverse time order. */
    void storeMany(String start, int count) {
        storeMany(start, count, 0);
    }

    /**
     * As {@link #storeMany(String, int)}, each event with properties of about {@code propertiesBytes} random hex
     * digits (none with 0): text no compressor shrinks much, as a day's files of real events are costly to write.
     */
    void storeMany(String start, int count, int propertiesBytes) {
        Instant first = Instant.parse(start);
        java.util.Random random = new java.util.Random();
        var writes = new java.util.ArrayList<java.util.concurrent.CompletableFuture<?>>();
        for (int i = count - 1; i >= 0; i--) {
            Instant eventTime = first.plusSeconds(i);
            String messageId = UUID.randomUUID().toString();
            byte[] noise = new byte[propertiesBytes / 2];
            random.nextBytes(noise);
            // Without properties, no properties column: a null would be a tombstone in every row.
            String properties = propertiesBytes == 0 ? "" : ", properties";
            List<Object> values = new java.util.ArrayList<>(List.of(source, EventIndexLayout.eventDay(eventTime),
                    EventIndexLayout.bucket(messageId), eventTime, messageId, "track", "Tick", "ticker"));
            if (propertiesBytes > 0) {
                values.add("{\"noise\":\"" + java.util.HexFormat.of().formatHex(noise) + "\"}");
            }
            writes.add(session.executeAsync(SimpleStatement.newInstance("INSERT INTO tidemark.events_by_day (source, "
                            + "event_date, bucket, event_time, message_id, type, event, user_id" + properties + ") VALUES (?"
                            + ", ?".repeat(values.size() - 1) + ")", values.toArray()))
                    .toCompletableFuture());
            // Bounded: the driver refuses requests beyond what its connection has in flight.
            if (writes.size() == 100) {
                writes.forEach(java.util.concurrent.CompletableFuture::join);
                writes.clear();
            }
        }
        writes.forEach(java.util.concurrent.CompletableFuture::join);
        markChanged(EventIndexLayout.eventDay(first), Instant.now());
    }

    /**
     * Records version {@code version} of the day's layout with {@code buckets}, then stores {@code count}
     * events spread over them, as dedup does once a busy day has grown that far.
     */
    void storeInLayout(Instant eventTime, int count, int version, int buckets) {
        LocalDate day = EventIndexLayout.eventDay(eventTime);
        session.execute(SimpleStatement.newInstance("INSERT INTO tidemark.index_layouts (source, event_date, version, "
                + "buckets, decided_at, reason) VALUES (?, ?, ?, ?, ?, ?)", source, day, version, buckets, Instant.now(), "test"));
        var writes = new java.util.ArrayList<java.util.concurrent.CompletableFuture<?>>();
        for (int i = 0; i < count; i++) {
            String messageId = UUID.randomUUID().toString();
            writes.add(session.executeAsync(SimpleStatement.newInstance("INSERT INTO tidemark.events_by_day (source, "
                            + "event_date, bucket, event_time, message_id, type, event, user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    source, day, EventIndexLayout.bucket(messageId, buckets), eventTime.plusMillis(i), messageId,
                    "track", "Tick", "layout-" + version)).toCompletableFuture());
            if (writes.size() == 100) {
                writes.forEach(java.util.concurrent.CompletableFuture::join);
                writes.clear();
            }
        }
        writes.forEach(java.util.concurrent.CompletableFuture::join);
        markChanged(day, Instant.now());
    }

    /**
     * Stores {@code perHour} events in each of {@code hours} (UTC) of {@code day}, each by its own user
     * {@code <prefix>-<hour>-<i>}, and marks the day as this version of dedup-service does: one more
     * change, counted in each hour the rows fall in. Returns the rows stored.
     */
    int storeInHours(LocalDate day, List<Integer> hours, int perHour, String prefix) {
        var writes = new java.util.ArrayList<java.util.concurrent.CompletableFuture<?>>();
        for (int hour : hours) {
            for (int i = 0; i < perHour; i++) {
                Instant eventTime = day.atStartOfDay(ZoneOffset.UTC).plusHours(hour).plusSeconds(i * 3600L / perHour)
                        .toInstant();
                String messageId = UUID.randomUUID().toString();
                writes.add(session.executeAsync(SimpleStatement.newInstance("INSERT INTO tidemark.events_by_day (source, "
                                + "event_date, bucket, event_time, message_id, type, event, user_id, properties, received_at) "
                                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        source, day, EventIndexLayout.bucket(messageId), eventTime, messageId, "track", "Tick",
                        prefix + "-" + hour + "-" + i, "{\"plan\":\"p" + (hour + i) % 3 + "\"}", Instant.now()))
                        .toCompletableFuture());
                if (writes.size() == 100) {
                    writes.forEach(java.util.concurrent.CompletableFuture::join);
                    writes.clear();
                }
            }
        }
        writes.forEach(java.util.concurrent.CompletableFuture::join);
        String counts = String.join(", ", hours.stream().map(ChangedHours::column).map(c -> c + " = " + c + " + 1").toList());
        session.execute(SimpleStatement.newInstance("UPDATE tidemark.day_changes SET changes = changes + 1, "
                + "hour_marked = hour_marked + 1, " + counts + " WHERE source = ? AND event_date = ?", source, day));
        changed(day.atStartOfDay(ZoneOffset.UTC).toInstant());
        return hours.size() * perHour;
    }

    /** The day's marks as dedup-service writes them after its rows: one more change, and when by {@code clock}. */
    private void markChanged(LocalDate day, Instant clock) {
        session.execute(SimpleStatement.newInstance(
                "UPDATE tidemark.day_changes SET changes = changes + 1 WHERE source = ? AND event_date = ?", source, day));
        session.execute(SimpleStatement.newInstance(
                "INSERT INTO tidemark.changed_days (source, event_date, changed_at) VALUES (?, ?, ?) USING TIMESTAMP ?",
                source, day, clock, ChronoUnit.MICROS.between(Instant.EPOCH, clock)));
    }

    /** The replica holding this source's export lease, or null when none does. */
    String leaseHolder() {
        var row = session.execute(SimpleStatement.newInstance(
                "SELECT owner FROM tidemark.mart_export_leases WHERE source = ?", source)).one();
        return row == null ? null : row.getString("owner");
    }

    /**
     * Starts an export cycle of this source and, once this replica holds the source's lease, gives the lease to
     * {@code otherReplica}, as another replica takes it after this one's pause outlasted it; returns the cycle.
     */
    CompletableFuture<JsonPath> exportWhileTheLeaseIsTakenBy(String otherReplica) {
        CompletableFuture<JsonPath> cycle = CompletableFuture.supplyAsync(this::exportSummary);
        String owner = await("this replica holds the source's lease").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50)).until(this::leaseHolder, found -> found != null);
        if (!session.execute(SimpleStatement.newInstance("UPDATE tidemark.mart_export_leases SET owner = ? "
                + "WHERE source = ? IF owner = ?", otherReplica, source, owner)).wasApplied()) {
            throw new AssertionError("the lease of " + source + " changed hands before the test took it");
        }
        return cycle;
    }

    /** POST /api/v1/exports for this source; returns the cycle's summary. */
    JsonPath exportSummary() {
        return given().auth().oauth2(TOKEN).queryParam("source", source)
                .when().post("/api/v1/exports")
                .then().statusCode(200)
                .extract().jsonPath();
    }

    /** POST /api/v1/exports for this source; returns the number of days it rewrote. */
    int export() {
        return given().auth().oauth2(TOKEN).queryParam("source", source)
                .when().post("/api/v1/exports")
                .then().statusCode(200)
                .extract().path("exported.size()");
    }
}
