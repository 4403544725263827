package io.tidemark.mart.rest;

import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.tidemark.mart.config.MartConfig;
import io.tidemark.mart.export.DayExporter;
import io.tidemark.mart.export.ExportCycle;
import io.tidemark.mart.layout.MartSwapLock;
import io.tidemark.mart.export.MirrorReadiness;
import io.tidemark.mart.export.MirrorSync;
import io.tidemark.mart.export.SourceLocks;
import io.tidemark.mart.model.ExportSummary;
import io.tidemark.mart.repository.ChangeLedger;
import io.tidemark.mart.repository.ExportLease;
import io.tidemark.mart.repository.ExportLedger;
import io.tidemark.mart.repository.RevisionLedger;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two replicas' export cycles against the real Cassandra of the local stack: a source is exported by
 * the one holding its lease, the holder's renewals keep it past the TTL, and a dead holder's lease
 * runs out so the other takes the source over. Leases live 3 s in the test profile.
 */
@QuarkusTest
@QuarkusTestResource(TempMartRoot.class)
class ExportLeaseTest {

    @Inject
    QuarkusCqlSession session;

    @Inject
    MartConfig config;

    @Inject
    ExportCycle cycle;

    @Inject
    ExportLease lease;

    @Inject
    MartSwapLock swapLock;

    @Inject
    ChangeLedger changes;

    @Inject
    ExportLedger exports;

    @Inject
    DayExporter exporter;

    @Inject
    MirrorSync mirror;

    @Inject
    RevisionLedger revisions;

    @Inject
    MirrorReadiness readiness;

    @Test
    void aSourceIsExportedOnlyByTheReplicaHoldingItsLeaseEvenPastTheTtl() throws Exception {
        StoredEvents events = new StoredEvents(session);
        events.store("2024-03-01T10:00:00Z", "Viewed", "u1", null);
        events.store("2024-03-02T10:00:00Z", "Viewed", "u2", null);
        events.store("2024-03-03T10:00:00Z", "Viewed", "u3", null);
        ExportCycle second = new ExportCycle(changes, exports, exporter, mirror, revisions,
                new ExportLease(session, config, "second-replica"), new SourceLocks(), readiness, config);

        // The first replica stalls in its first day's swap while holding the lease.
        Lock swaps = swapLock.swapping();
        swaps.lock();
        CompletableFuture<ExportSummary> first;
        try {
            first = cycle.run(Optional.of(events.source)).subscribeAsCompletionStage();
            await().atMost(Duration.ofSeconds(30)).until(() -> lease.owner().equals(events.leaseHolder()));
            // Longer than the lease's TTL: only the holder's renewals keep the second replica out.
            Thread.sleep(config.export().lease().ttl().multipliedBy(2).toMillis());
            ExportSummary meanwhile = finished(second.run(Optional.of(events.source)));
            assertEquals(List.of(events.source), meanwhile.leasedElsewhere());
            assertEquals(List.of(), meanwhile.exported());
        } finally {
            swaps.unlock();
        }
        ExportSummary exported = first.get(60, TimeUnit.SECONDS);
        assertEquals(3, exported.exported().size(), exported.toString());
        assertEquals(null, events.leaseHolder(), "the lease is given back after the source");

        // Now free, the second replica takes the source and finds nothing left to export.
        ExportSummary after = finished(second.run(Optional.of(events.source)));
        assertEquals(List.of(), after.leasedElsewhere());
        assertEquals(List.of(), after.exported());
        for (String day : List.of("2024-03-01", "2024-03-02", "2024-03-03")) {
            assertEquals(1, revisionCount(events.source, day), "day " + day + " exported once");
        }
    }

    @Test
    void aDeadReplicasLeaseRunsOutAndAnotherExportsItsSource() {
        StoredEvents events = new StoredEvents(session);
        events.store("2024-04-01T10:00:00Z", "Viewed", "u1", null);
        // A replica took the source and died: it never renews and never releases.
        assertTrue(new ExportLease(session, config, "dead-replica").acquire(events.source));
        assertTrue(!new ExportLease(session, config, "third-replica").acquire(events.source),
                "a held lease is not taken twice");

        ExportSummary blocked = finished(cycle.run(Optional.of(events.source)));
        assertEquals(List.of(events.source), blocked.leasedElsewhere());
        assertEquals(0, exports.days(events.source).size(), "nothing exported under another's lease");

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
            ExportSummary summary = finished(cycle.run(Optional.of(events.source)));
            return summary.exported().size() == 1;
        });
        assertEquals(1, exports.days(events.source).size());
    }

    private long revisionCount(String source, String day) {
        return session.execute(SimpleStatement.newInstance(
                "SELECT COUNT(*) FROM tidemark.mart_revisions WHERE source = ? AND event_date = ?", source,
                java.time.LocalDate.parse(day))).one().getLong(0);
    }

    private static ExportSummary finished(Uni<ExportSummary> run) {
        return run.await().atMost(Duration.ofSeconds(60));
    }
}
