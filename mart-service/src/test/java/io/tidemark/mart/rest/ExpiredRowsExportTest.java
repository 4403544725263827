package io.tidemark.mart.rest;

import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

import static io.restassured.RestAssured.given;
import static io.tidemark.mart.rest.StoredEvents.TOKEN;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A day older than Cassandra keeps its rows (rows-expire-after, dedup's event-ttl: 400 days) whose rows
 * have expired there, exported again after a late event or a lost ledger entry: its files keep the
 * expired rows, and the day never shrinks to what Cassandra still holds.
 */
@QuarkusTest
@QuarkusTestResource(TempMartRoot.class)
class ExpiredRowsExportTest {

    @Inject
    QuarkusCqlSession session;

    @Test
    void aDayWhoseRowsExpiredInCassandraKeepsThemWhenALateEventExportsItAgain() throws InterruptedException {
        StoredEvents events = new StoredEvents(session);
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(402);
        Instant noon = day.atTime(12, 0).toInstant(ZoneOffset.UTC);
        for (int i = 0; i < 3; i++) {
            events.storeExpiring(noon.plusSeconds(i), "aged-" + i, 8);
        }
        assertEquals(1, events.export());
        daily(events, day, 3, 3);

        Thread.sleep(9_000);
        assertEquals(0L, session.execute(SimpleStatement.newInstance("SELECT count(*) FROM tidemark.events_by_day "
                + "WHERE source = ? AND event_date = ? AND bucket IN (0, 1, 2, 3, 4, 5, 6, 7)", events.source, day))
                .one().getLong(0), "the rows expired in Cassandra");

        // A late event for the day: read again, the day is its one row in Cassandra and the three of its file.
        events.store(noon.plusSeconds(60), noon.plusSeconds(60), "Late", "late-user", null, null);
        assertEquals(1, events.export());
        daily(events, day, 4, 4);

        // A ledger entry lost (an operator truncated it to force a rebuild): the day is rebuilt, not withdrawn.
        session.execute(SimpleStatement.newInstance("DELETE FROM tidemark.exported_days WHERE source = ? AND event_date = ?",
                events.source, day));
        assertEquals(1, events.export());
        daily(events, day, 4, 4);
    }

    private static void daily(StoredEvents events, LocalDate day, int expectedEvents, int expectedUsers) {
        given().auth().oauth2(TOKEN)
                .queryParam("source", events.source).queryParam("from", day.toString()).queryParam("to", day.toString())
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(200)
                .body("days[0].events", equalTo(expectedEvents)).body("days[0].users", equalTo(expectedUsers));
    }
}
