package io.tidemark.e2e;

import com.datastax.oss.driver.api.core.CqlSession;
import io.tidemark.testsupport.ServiceProcess;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static io.tidemark.e2e.MartScaleOutEndToEndIT.exportedDays;
import static io.tidemark.e2e.MartScaleOutEndToEndIT.leaseOwner;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A mart stopped the way Kubernetes stops a pod (SIGTERM) in the middle of a source's days, with the
 * shipped lease (60 s ttl). It must end at a day's boundary and give the source's lease back before
 * its Cassandra session closes, so the instance that replaces it exports the rest in its first cycle.
 * Before, the stop interrupted the export and the process was gone in 0.2 s with the lease still
 * held: the replacement found the source "leased elsewhere" until the ttl ran out, and exported it a
 * whole cycle (5 minutes in production) later.
 */
class MartGracefulStopIT {

    private static final int DAYS = 8;
    private static final int EVENTS_A_DAY = 10;
    /** Well under the lease's ttl: only a lease given back lets the replacement in this soon. */
    private static final Duration REPLACEMENT_BOUND = Duration.ofSeconds(40);

    @Test
    void aStoppedMartEndsBetweenDaysAndItsReplacementExportsTheRestAtOnce() throws Exception {
        String source = "mart-stop-" + UUID.randomUUID().toString().substring(0, 8);
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        Path root = Files.createTempDirectory("tidemark-e2e-mart-stop-");
        List<ServiceProcess> services = new ArrayList<>();
        try (RawTopic topic = RawTopic.create("localhost:9092");
                CqlSession cassandra = CqlSession.builder().addContactPoint(new InetSocketAddress("127.0.0.1", 9042))
                        .withLocalDatacenter("datacenter1").build()) {
            DedupRebalanceIT.started(topic.dedupProperties(), services);
            for (int ago = 1; ago <= DAYS; ago++) {
                var noon = today.minusDays(ago).atTime(12, 0).toInstant(ZoneOffset.UTC);
                for (int i = 0; i < EVENTS_A_DAY; i++) {
                    topic.send(RawTopic.event(source, "d" + ago + "-" + i, noon.plusSeconds(i)));
                }
            }
            topic.flush();
            DedupDuplicatesIT.awaitConsumed(topic);

            ServiceProcess first = mart(source, root, "first", services);
            await("the first mart exports some of the source's days").atMost(DedupDuplicatesIT.PATIENCE)
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> "first".equals(leaseOwner(cassandra, source)) && exportedDays(cassandra, source) >= 2);

            first.close();

            String log = first.logText();
            int exportedAtStop = exportedDays(cassandra, source);
            assertTrue(exportedAtStop < DAYS, "the stop landed in the middle of the source's days: " + exportedAtStop);
            assertNull(leaseOwner(cassandra, source),
                    () -> "the stopped mart gave its lease back; its export, as logged:\n" + exportLines(log));
            assertNotNull(LogLines.first(log, "export stopped in "), () -> "the export's stop, as logged:\n"
                    + exportLines(log));
            // A day's export, a lease renewal or its release that failed on the way out logs a warning or an error.
            List<String> troubles = log.lines().filter(line -> line.contains("ExportCycle")
                    && (line.contains("WARN") || line.contains("ERROR"))).toList();
            assertEquals(List.of(), troubles, "the export's warnings and errors");

            mart(source, root, "second", services);
            await("the replacement exports the rest within " + REPLACEMENT_BOUND + ", not after the lease's ttl")
                    .atMost(REPLACEMENT_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> exportedDays(cassandra, source) == DAYS);
        } finally {
            ServiceProcess.closeAll(services);
        }
    }

    /** A mart of the production profile but for its timings: slow days, so a stop lands between them. */
    private static ServiceProcess mart(String source, Path root, String owner, List<ServiceProcess> services)
            throws Exception {
        ServiceProcess mart = ServiceProcess.launch("mart-service", List.of("tidemark.mart.export.root=" + root,
                "tidemark.mart.export.sources=" + source, "tidemark.mart.export.every=2s",
                "tidemark.mart.export.first-delay=1s", "tidemark.mart.export.day-delay=1s",
                "tidemark.mart.export.lease.owner=" + owner));
        services.add(mart);
        mart.awaitReady();
        return mart;
    }

    private static String exportLines(String log) {
        return String.join("\n", log.lines().filter(line -> line.contains("ExportCycle")).toList());
    }
}
