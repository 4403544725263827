package io.tidemark.mart.rest;

import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.tidemark.mart.config.MartConfig;
import io.tidemark.mart.model.ExportedDay;
import io.tidemark.mart.repository.ExportLedger;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static io.tidemark.mart.rest.StoredEvents.TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A source whose ledger cannot be read or written fails alone: the cycle goes on to the sources after it, and
 * answers what it did. The ledger is the real one against the real Cassandra, but for the failing source.
 */
@QuarkusTest
@QuarkusTestResource(TempMartRoot.class)
class ExportCycleIsolationTest {

    @Inject
    QuarkusCqlSession session;

    @Inject
    MartConfig config;

    /** What of one source's export ledger fails. */
    enum Failing { READING_ITS_DAYS, MARKING_ITS_CYCLE }

    /** The export ledger, but one source's days cannot be read, or the mark ending its cycle not written. */
    static final class LedgerFailingFor extends ExportLedger {

        private final String failing;
        private final Failing what;

        LedgerFailingFor(QuarkusCqlSession session, MartConfig config, String failing, Failing what) {
            super(session, config);
            this.failing = failing;
            this.what = what;
        }

        @Override
        public Map<LocalDate, ExportedDay> days(String source) {
            if (what == Failing.READING_ITS_DAYS && source.equals(failing)) {
                throw new IllegalStateException("read timeout of the export ledger (test)");
            }
            return super.days(source);
        }

        @Override
        public void markExportedThrough(String source, Instant through) {
            if (what == Failing.MARKING_ITS_CYCLE && source.equals(failing)) {
                throw new IllegalStateException("write timeout of the export ledger (test)");
            }
            super.markExportedThrough(source, through);
        }
    }

    @Test
    void aSourceWhoseLedgerCannotBeReadFailsAloneAndTheSourcesAfterItAreExported() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        // Sources are taken in name order: the failing one comes first.
        StoredEvents first = new StoredEvents(session, "isolation-a-" + run);
        StoredEvents second = new StoredEvents(session, "isolation-b-" + run);
        first.store("2026-11-05T08:00:00Z", "Viewed", "u-1", null);
        second.store("2026-11-05T08:00:00Z", "Viewed", "u-2", null);
        QuarkusMock.installMockForType(new LedgerFailingFor(session, config, first.source, Failing.READING_ITS_DAYS), ExportLedger.class);

        JsonPath summary = given().auth().oauth2(TOKEN).when().post("/api/v1/exports")
                .then().statusCode(200).extract().jsonPath();
        List<Map<String, Object>> failed = summary.getList("failed.findAll { it.source == '" + first.source + "' }");
        assertEquals(1, failed.size(), summary::prettify);
        assertTrue(String.valueOf(failed.get(0).get("reason")).contains("read timeout of the export ledger"), summary::prettify);
        assertEquals(List.of("2026-11-05"), summary.getList("exported.findAll { it.source == '" + second.source + "' }.date"),
                summary::prettify);
    }

    @Test
    void aSourceThatFailsAfterItsDaysWereSwappedInStillCountsTheirRowsInTheCycle() {
        StoredEvents source = new StoredEvents(session, "isolation-late-" + UUID.randomUUID().toString().substring(0, 8));
        source.store("2026-11-06T08:00:00Z", "Viewed", "u-1", null);
        source.store("2026-11-06T09:00:00Z", "Viewed", "u-2", null);
        QuarkusMock.installMockForType(new LedgerFailingFor(session, config, source.source, Failing.MARKING_ITS_CYCLE), ExportLedger.class);

        JsonPath summary = given().auth().oauth2(TOKEN).queryParam("source", source.source).when().post("/api/v1/exports")
                .then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(2), summary.getList("exported.findAll { it.source == '" + source.source + "' }.rows"),
                summary::prettify);
        assertTrue(String.valueOf(summary.getList("failed.findAll { it.source == '" + source.source + "' }.reason"))
                .contains("write timeout of the export ledger"), summary::prettify);
        assertEquals(2, summary.getLong("rows"), "the cycle's total counts the day it swapped in: " + summary.prettify());
    }
}
