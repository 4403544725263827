package io.tidemark.k8s;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tidemark.schema.CassandraTarget;
import io.tidemark.schema.SchemaOwner;
import org.cognitor.cassandra.migration.MigrationRepository;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The schema Job of overlays/dev and overlays/prod started as its pod would be ({@link PodLaunch}: the image's entry point
 * from {@code cassandra-schema/src/main/docker/Dockerfile.jvm}, only the environment the kubelet gives) against the local
 * stack's Cassandra. Two pods of one Job at once (a retried Job beside a slow first pod) both succeed, leaving a new
 * keyspace with every owner's tables and one successful history row per owner's script; a third run finds the schema
 * current and says so; all exit 0 and write nothing outside their volumes.
 *
 * <p>Overrides beside {@link DeploymentsStartAsPodsIT}'s, each printed: the keyspace is one of this run's (the shared
 * Cassandra's {@code tidemark} exists already, and creating one is what a new cluster sees), and the replication is
 * {@code datacenter1:1}, the one node here (Cassandra refuses a data centre it does not have).
 */
class SchemaJobRunsAsPodIT {

    private static final Map<String, String> ADDRESSES = Map.of(DeploymentsStartAsPodsIT.CASSANDRA_IN_CLUSTER,
            System.getProperty("tidemark.test.cassandra", "127.0.0.1:9042"));
    private static final String DATACENTER = System.getProperty("tidemark.test.cassandra.datacenter", "datacenter1");
    private static final Map<String, String> VARIABLES = Map.of("TIDEMARK_SCHEMA_LOCAL_DATACENTER", DATACENTER);
    private static final Duration PATIENCE = Duration.ofMinutes(3);
    private static final Set<String> OWNED_TABLES = Set.of("events_by_day", "index_layouts", "claim_layouts", "claim_counts", "changed_days", "day_changes",
            "message_claims", "exported_days", "mart_revisions", "mart_export_leases", "bulk_watermarks");
    private static final Path WORK = Path.of("target", "pods").toAbsolutePath();

    @Test
    void twoPodsAtOnceCreateEveryTableOnceAndAThirdFindsTheSchemaCurrent() throws Exception {
        String run = "sj" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        List<String> keyspaces = new ArrayList<>();
        try (CqlSession cql = session()) {
            for (String overlay : List.of("overlays/dev", "overlays/prod")) {
                List<ObjectNode> objects = RenderedManifests.all().get(RenderedManifests.k8sDir().resolve(overlay));
                Workload job = Workload.all(objects).stream().filter(w -> w.kind().equals("Job")).findFirst()
                        .orElseThrow(() -> new AssertionError(overlay + " has no schema Job"));
                String keyspace = run + "_" + overlay.substring(overlay.indexOf('/') + 1);
                keyspaces.add(keyspace);

                List<PodProcess> firstTwo = new ArrayList<>();
                try {
                    for (String pod : List.of("a", "b")) {
                        firstTwo.add(PodProcess.start(launch(overlay, objects, job, keyspace, keyspace + "-" + pod),
                                WORK.resolve(keyspace + "-" + pod + ".log")));
                    }
                    for (PodProcess pod : firstTwo) {
                        assertExitsZero(pod);
                    }
                } finally {
                    for (PodProcess pod : firstTwo) {
                        pod.stop();
                    }
                }
                assertEquals(expectedTables(), tables(cql, keyspace), overlay + ": the keyspace holds every owner's tables and history");
                for (SchemaOwner owner : SchemaOwner.inOrder()) {
                    List<Row> applied = cql.execute("SELECT version, script_name FROM " + keyspace + "." + owner.ownerName()
                            + "_schema_migration WHERE applied_successful = true").all();
                    List<Integer> versions = applied.stream().map(row -> row.getInt("version")).sorted().toList();
                    assertEquals(IntStream.rangeClosed(1, latestVersion(owner)).boxed().toList(), versions,
                            overlay + ": each of " + owner.ownerName() + "'s scripts recorded as applied once: " + applied);
                    assertTrue(applied.stream().anyMatch(row -> row.getString("script_name").equals("001_baseline.cql")),
                            overlay + ": " + owner.ownerName() + "'s baseline: " + applied);
                }

                try (PodProcess again = PodProcess.start(launch(overlay, objects, job, keyspace, keyspace + "-c"),
                        WORK.resolve(keyspace + "-c.log"))) {
                    assertExitsZero(again);
                    for (SchemaOwner owner : SchemaOwner.inOrder()) {
                        assertTrue(again.output().contains("schema " + owner.ownerName() + ": at version "
                                        + latestVersion(owner) + ", up to date"),
                                overlay + ": a run on a current schema changes nothing:\n" + again.output());
                    }
                    assertEquals(List.of(), again.launch().writtenOutsideVolumes(), "readOnlyRootFilesystem");
                }
                for (PodProcess pod : firstTwo) {
                    assertEquals(List.of(), pod.launch().writtenOutsideVolumes(), "readOnlyRootFilesystem");
                }
            }
        } finally {
            try (CqlSession cql = session()) {
                keyspaces.forEach(k -> cql.execute("DROP KEYSPACE IF EXISTS " + k));
            } catch (RuntimeException e) {
                // Left for the next clean build; the test's own outcome must not be hidden by its clean-up.
                System.out.println("[pod] could not drop " + keyspaces + ": " + e);
            }
        }
    }

    private static PodLaunch launch(String overlay, List<ObjectNode> objects, Workload job, String keyspace, String pod)
            throws Exception {
        PodLaunch launch = PodLaunch.prepare(overlay, objects, job, Files.createDirectories(WORK.resolve(pod)), ADDRESSES, VARIABLES);
        launch.override("TIDEMARK_SCHEMA_KEYSPACE", keyspace, "a keyspace of this run: the shared Cassandra's tidemark exists already");
        launch.override("TIDEMARK_SCHEMA_REPLICATION", DATACENTER + ":1", "the one local node, where the cluster has "
                + launch.env().get("TIDEMARK_SCHEMA_REPLICATION"));
        launch.overrides().forEach(o -> System.out.println("[pod] " + launch.name() + " (" + pod + ") override: " + o));
        return launch;
    }

    private static void assertExitsZero(PodProcess pod) throws InterruptedException {
        OptionalInt exit = pod.awaitExit(PATIENCE);
        assertEquals(OptionalInt.of(0), exit, pod.launch().name() + " exits 0 within " + PATIENCE + ":\n" + pod.output());
    }

    /** The owner's newest script, as the runner itself reads them from the packaged classpath. */
    private static int latestVersion(SchemaOwner owner) {
        return new MigrationRepository(owner.scriptPath()).getLatestVersion();
    }

    private static Set<String> expectedTables() {
        Set<String> tables = new TreeSet<>(OWNED_TABLES);
        for (SchemaOwner owner : SchemaOwner.inOrder()) {
            tables.add(owner.ownerName() + "_schema_migration");
            tables.add(owner.ownerName() + "_schema_migration_leader");
        }
        return tables;
    }

    private static Set<String> tables(CqlSession cql, String keyspace) {
        Set<String> tables = new TreeSet<>();
        cql.execute("SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?", keyspace)
                .forEach(row -> tables.add(row.getString("table_name")));
        return tables;
    }

    private static CqlSession session() {
        String[] address = ADDRESSES.get(DeploymentsStartAsPodsIT.CASSANDRA_IN_CLUSTER).split(":");
        // DDL (the clean-up's DROP) waits for schema agreement: far longer than the driver's 2 s default.
        return new CassandraTarget(List.of(new InetSocketAddress(address[0], Integer.parseInt(address[1]))), DATACENTER,
                Duration.ofSeconds(60), Optional.empty()).connect("schema-job-test", false);
    }
}
