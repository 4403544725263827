package io.tidemark.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.Uuid;

/**
 * A Kafka node: KRaft broker and controller in one process, storage formatted on first start. Alone it
 * is its own quorum; in a cluster the three nodes are the static controller quorum, share one cluster
 * id, and keep three copies of every partition with two in sync before a write counts.
 */
final class KafkaNode implements StackPart {

    static final String NAME = "kafka";
    private static final String MAIN_CLASS = "kafka.Kafka";
    private static final String STORAGE_TOOL = "kafka.tools.StorageTool";

    private final StackLayout layout;
    private final StackSettings settings;
    private final Topology topology;
    private final int index;
    private final String name;
    private final KafkaEndpoint endpoint;

    KafkaNode(StackLayout layout, StackSettings settings, Topology topology, int index) {
        this.layout = layout;
        this.settings = settings;
        this.topology = topology;
        this.index = index;
        this.name = Topology.nodeName(NAME, index);
        this.endpoint = new KafkaEndpoint(host(settings, index), settings.integer("kafka.port"));
    }

    private static String host(StackSettings settings, int index) {
        return Topology.nodeHost(settings.text("kafka.host"), index);
    }

    KafkaEndpoint endpoint() {
        return endpoint;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String host() {
        return endpoint.host();
    }

    @Override
    public int port() {
        return endpoint.port();
    }

    private Path dir() {
        return layout.dataDir(name);
    }

    private Path serverProperties() {
        return dir().resolve("conf/server.properties");
    }

    private Path logDir() {
        return dir().resolve("log");
    }

    @Override
    public List<String> markers() {
        return List.of(MAIN_CLASS, serverProperties().toString());
    }

    @Override
    public ProcessHandle start() {
        writeConfig();
        formatStorageOnce();
        String heap = settings.text("kafka.heap");
        List<String> command = List.of(
                DetachedProcess.java(),
                "-Xms" + heap, "-Xmx" + heap,
                // The GC flags of Kafka's own kafka-run-class.sh.
                "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35",
                "-XX:+ExplicitGCInvokesConcurrent",
                "-XX:+ExitOnOutOfMemoryError",
                "-Djava.awt.headless=true",
                "-Dlog4j2.configurationFile=" + dir().resolve("conf/log4j2.xml"),
                "-Dkafka.logs.dir=" + layout.logsDir(),
                "-cp", layout.kafkaLib() + "/*",
                MAIN_CLASS, serverProperties().toString());
        return DetachedProcess.start(command, log(), dir());
    }

    private void writeConfig() {
        String controllerPort = settings.text("kafka.controller.port");
        // One node forms its quorum from a bootstrap address (formatted --standalone); a cluster names
        // its three voters up front, so that any two of them elect a leader without the third.
        String quorum = topology.cluster()
                ? "controller.quorum.voters=" + String.join(",", topology.each(i -> i + "@" + host(settings, i) + ":" + controllerPort))
                : "controller.quorum.bootstrap.servers=" + endpoint.host() + ":" + controllerPort;
        Map<String, String> values = Map.of(
                "node_id", Integer.toString(index),
                "quorum", quorum,
                "replicas", Integer.toString(topology.nodes()),
                "min_isr", Integer.toString(minInSyncReplicas(topology)),
                "host", endpoint.host(),
                "port", Integer.toString(endpoint.port()),
                "controller_port", controllerPort,
                "kafka_dir", dir().toString());
        TemplateRenderer.renderTo("kafka/server.properties", values, serverProperties());
        TemplateRenderer.renderTo("kafka/log4j2.xml", Map.of(), dir().resolve("conf/log4j2.xml"));
    }

    /** KRaft refuses to start on unformatted storage; formatting again would wipe the cluster id. */
    private void formatStorageOnce() {
        if (Files.exists(logDir().resolve("meta.properties"))) {
            return;
        }
        String classpath = layout.kafkaLib() + "/*";
        List<String> format = new ArrayList<>(List.of(DetachedProcess.java(), "-cp", classpath, STORAGE_TOOL,
                "format", "-t", clusterId(), "-c", serverProperties().toString()));
        if (!topology.cluster()) {
            format.add("--standalone");
        }
        DetachedProcess.runToCompletion(format, layout.log(name + "-format"), dir(), settings.integer("log.tail.lines"));
    }

    /** The nodes of a cluster must share one id: the first node to format draws it, the others read it. */
    private String clusterId() {
        Path file = layout.dataDir(NAME + "-cluster.id");
        try {
            if (Files.exists(file)) {
                return Files.readString(file, StandardCharsets.US_ASCII).strip();
            }
            // What StorageTool's random-uuid prints, drawn here: that tool's own JVM cost 2.0-2.4 s (1.6-1.8 s of CPU).
            String id = Uuid.randomUuid().toString();
            Files.createDirectories(file.getParent());
            Files.writeString(file, id, StandardCharsets.US_ASCII);
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Two of three copies in sync before a write counts: one node may fail without losing an acknowledged record. */
    static int minInSyncReplicas(Topology topology) {
        return topology.cluster() ? 2 : 1;
    }

    @Override
    public boolean answers() {
        return answers(settings.millis("probe.timeout.millis"));
    }

    @Override
    public boolean answers(Duration timeout) {
        return endpoint.answers(timeout);
    }

    @Override
    public Probe readinessProbe(Duration longestProbe) {
        return endpoint.readinessProbe(longestProbe);
    }

    @Override
    public Duration readyTimeout() {
        return settings.seconds("kafka.ready.timeout.seconds");
    }

    @Override
    public Path log() {
        return layout.log(name);
    }

    @Override
    public PidFile pidFile() {
        return new PidFile(layout.pidFile(name));
    }
}
