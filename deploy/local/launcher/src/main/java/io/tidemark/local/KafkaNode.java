package io.tidemark.local;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** The Kafka broker: one KRaft node, broker and controller, storage formatted on first start. */
final class KafkaNode implements StackPart {

    static final String NAME = "kafka";
    private static final String MAIN_CLASS = "kafka.Kafka";
    private static final String STORAGE_TOOL = "kafka.tools.StorageTool";

    private final StackLayout layout;
    private final StackSettings settings;
    private final KafkaEndpoint endpoint;

    KafkaNode(StackLayout layout, StackSettings settings) {
        this.layout = layout;
        this.settings = settings;
        this.endpoint = new KafkaEndpoint(settings.text("kafka.host"), settings.integer("kafka.port"));
    }

    KafkaEndpoint endpoint() {
        return endpoint;
    }

    @Override
    public String name() {
        return NAME;
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
        return layout.dataDir(NAME);
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
        Map<String, String> values = Map.of(
                "host", endpoint.host(),
                "port", Integer.toString(endpoint.port()),
                "controller_port", settings.text("kafka.controller.port"),
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
        String clusterId = DetachedProcess.output(List.of(DetachedProcess.java(), "-cp", classpath, STORAGE_TOOL, "random-uuid"));
        DetachedProcess.runToCompletion(List.of(DetachedProcess.java(), "-cp", classpath, STORAGE_TOOL,
                        "format", "-t", clusterId, "-c", serverProperties().toString(), "--standalone"),
                layout.log(NAME + "-format"), dir(), settings.integer("log.tail.lines"));
    }

    @Override
    public boolean answers() {
        return endpoint.answers(settings.millis("probe.timeout.millis"));
    }

    @Override
    public Duration readyTimeout() {
        return settings.seconds("kafka.ready.timeout.seconds");
    }

    @Override
    public Path log() {
        return layout.log(NAME);
    }

    @Override
    public PidFile pidFile() {
        return new PidFile(layout.pidFile(NAME));
    }
}
