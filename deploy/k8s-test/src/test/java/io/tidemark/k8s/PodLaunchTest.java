package io.tidemark.k8s;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What {@link PodLaunch} makes of the rendered Deployments, without starting anything. */
class PodLaunchTest {

    private static final Map<String, String> ADDRESSES = Map.of("tidemark-kafka-bootstrap.kafka:9092", "127.0.0.1:9092",
            "tidemark-dc1-service.cassandra:9042", "127.0.0.1:9042");
    private static final Map<String, String> VARIABLES = Map.of("QUARKUS_CASSANDRA_LOCAL_DATACENTER", "datacenter1");

    @TempDir
    Path dir;

    @Test
    void ingestRunsItsCommandUnderTheRootWithTheSecretMountedAndTheProbesOnTheMovedManagementPort() throws Exception {
        PodLaunch ingest = launch("base", "ingest-service", dir.resolve("ingest"));
        Path root = ingest.root();
        assertEquals(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + root + "/deployments/jvm.options", "-jar", root + "/deployments/quarkus-run.jar"), ingest.command());
        assertTrue(Files.isRegularFile(root.resolve("deployments/jvm.options")), "the image's jvm.options, from the package");
        String config = Files.readString(root.resolve("deployments/config/application.properties"));
        assertTrue(config.contains("tidemark.ingest.sources.web.write-keys=CHANGE-ME"), "the rendered Secret, as a file: " + config);
        assertEquals(root.resolve("deployments"), ingest.workingDir());
        assertEquals("127.0.0.1:9092", ingest.env().get("KAFKA_BOOTSTRAP_SERVERS"));
        assertEquals("10s", ingest.env().get("QUARKUS_SHUTDOWN_TIMEOUT"), "a literal value, as rendered");
        assertEquals("collect.example.com", ingest.env().get("TIDEMARK_INGEST_SDK_API_HOST"), "envFrom, as rendered");
        assertEquals("80", ingest.env().get("INGEST_SERVICE_SERVICE_PORT"), "the kubelet's Service link variables");
        int management = Integer.parseInt(ingest.env().get("QUARKUS_MANAGEMENT_PORT"));
        assertNotEquals(9000, management);
        assertTrue(ingest.probes().stream().allMatch(p -> p.port().equals("management") && p.localPort() == management),
                "every probe names the management port, asked where it now listens: " + ingest.probes());
        assertTrue(ingest.env().get("JDK_JAVA_OPTIONS").contains("-XX:MaxRAM=402653184"), "the 384Mi limit");
    }

    @Test
    void martRunsWhatRunJavaShExecutesAndExportsOntoItsVolume() throws Exception {
        PodLaunch mart = launch("base", "mart-service", dir.resolve("mart"));
        assertEquals(List.of("-XX:MaxRAMPercentage=25", "-XX:ActiveProcessorCount=2", "-XX:+ExitOnOutOfMemoryError", "-jar",
                mart.root() + "/deployments/quarkus-run.jar"),
                mart.command().subList(mart.command().size() - 5, mart.command().size()), "JAVA_OPTS_APPEND after the defaults");
        String exportRoot = mart.containerPath(Path.of(mart.env().get("TIDEMARK_MART_EXPORT_ROOT")));
        assertEquals("/var/lib/tidemark/marts", exportRoot);
        assertEquals(mart.mounts().get("/var/lib/tidemark/marts"), mart.onVolume(exportRoot).orElseThrow());
        assertTrue(mart.env().get("JDK_JAVA_OPTIONS").contains("-Djava.io.tmpdir=" + mart.mounts().get("/tmp")), "/tmp is its volume");
    }

    @Test
    void onlyProcessesThatDifferAreDistinct() throws Exception {
        assertEquals(launch("base", "ingest-service", dir.resolve("a")).signature(),
                launch("overlays/prod", "ingest-service", dir.resolve("b")).signature(), "prod changes ingest's replicas only");
        assertNotEquals(launch("base", "mart-service", dir.resolve("c")).signature(),
                launch("overlays/prod", "mart-service", dir.resolve("d")).signature(), "prod's mart is on a bucket");
    }

    private static PodLaunch launch(String kustomization, String deployment, Path root) throws Exception {
        List<ObjectNode> objects = RenderedManifests.all().get(RenderedManifests.k8sDir().resolve(kustomization));
        Deployment found = RenderedManifests.typed(objects, Deployment.class).stream()
                .filter(d -> d.getMetadata().getName().equals(deployment)).findFirst().orElseThrow();
        return PodLaunch.prepare(kustomization, objects, Workload.of(found), root, ADDRESSES, VARIABLES);
    }
}
