package io.tidemark.mart.rest;

import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A replica that loses a source's lease while it writes a day (a pause longer than the lease, here another replica
 * taking the lease meanwhile) still finishes that day, and may commit it after the other replica exported it from newer
 * rows. It then counts one change more in the day, so the replica that holds the lease exports it again: without that,
 * the bucket could keep the older day while the ledger said the newer change was covered, until the day changed again.
 */
@QuarkusTest
@TestProfile(ExportLeaseOvertakenTest.PausedDays.class)
@QuarkusTestResource(TempMartRoot.class)
class ExportLeaseOvertakenTest {

    private static final String DAY = "2026-11-06";
    private static final String OTHER_REPLICA = "other-replica";

    /** A pause before each day (a test-only setting), long enough for the lease to be taken meanwhile. */
    public static class PausedDays implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tidemark.mart.export.day-delay", "3s",
                    "tidemark.mart.export.lease.ttl", "60s",
                    "tidemark.mart.export.lease.renew-every", "200ms");
        }
    }

    @Inject
    QuarkusCqlSession session;

    @Test
    void aDayCommittedAfterTheLeaseWasTakenIsCountedChangedAndExportedAgainByTheHolder() throws Exception {
        StoredEvents events = new StoredEvents(session);
        events.store(DAY + "T10:00:00Z", "Signed Up", "user-1", null);
        long before = changes(events.source);

        // As after this replica's pause outlasted the lease: another replica takes the source.
        CompletableFuture<JsonPath> cycle = events.exportWhileTheLeaseIsTakenBy(OTHER_REPLICA);

        JsonPath overtaken = cycle.get(60, TimeUnit.SECONDS);
        assertEquals(List.of(DAY), overtaken.getList("exported.date"), overtaken::prettify);
        assertEquals(before + 1, changes(events.source), "one change more counted in the day");
        assertEquals(OTHER_REPLICA, events.leaseHolder(), "the lease is the other replica's, not released");

        // The other replica is done; whoever holds the lease next exports the day again.
        assertTrue(session.execute("DELETE FROM tidemark.mart_export_leases WHERE source = ? IF owner = ?",
                events.source, OTHER_REPLICA).wasApplied());
        JsonPath next = events.exportSummary();
        assertEquals(List.of(DAY), next.getList("exported.date"), next::prettify);
        assertEquals(before + 1, changes(events.source), "an export that kept its lease counts nothing");
    }

    private long changes(String source) {
        Row row = session.execute("SELECT changes FROM tidemark.day_changes WHERE source = ? AND event_date = ?",
                source, LocalDate.parse(DAY)).one();
        return row == null ? 0 : row.getLong("changes");
    }
}
