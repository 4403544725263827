package io.tidemark.local;

import io.tidemark.schema.CassandraTarget;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One replica of a Tidemark service, run from its Quarkus fast-jar against the stack's brokers and
 * nodes, and ready when /q/health/ready on its management port says 200. The first replica has the
 * module's name and ports; a second one ("-2") the ports ten higher.
 */
final class QuarkusService implements StackPart {

    static final List<String> MODULES = List.of("ingest-service", "dedup-service", "mart-service");
    private static final String HOST = "127.0.0.1";
    private static final String READY_PATH = "/q/health/ready";
    /** The JVM options a service ships beside its quarkus-run.jar (see ingest-service/src/main/jvm). */
    private static final String JVM_OPTIONS = "jvm.options";

    private static final int REPLICA_PORT_STEP = 10;

    private final String module;
    private final String name;
    private final StackLayout layout;
    private final StackSettings settings;
    private final int port;
    private final int managementPort;
    private final List<String> connections;

    /** {@code connections}: the system properties that point it at the stack's Kafka and Cassandra. */
    QuarkusService(String module, int replica, StackLayout layout, StackSettings settings, List<String> connections) {
        this.module = module;
        this.name = Topology.nodeName(module, replica);
        this.layout = layout;
        this.settings = settings;
        this.port = settings.integer("service." + module + ".port") + (replica - 1) * REPLICA_PORT_STEP;
        this.managementPort = settings.integer("service." + module + ".management.port") + (replica - 1) * REPLICA_PORT_STEP;
        this.connections = connections;
    }

    /** The system properties of a module that point it at these brokers and nodes. */
    static List<String> connections(String module, String kafkaBootstrap, String cassandraContactPoints,
            Optional<CassandraTarget.Credentials> cassandraLogin) {
        List<String> properties = new ArrayList<>();
        if (!module.equals("mart-service")) {
            properties.add("-Dkafka.bootstrap.servers=" + kafkaBootstrap);
        }
        if (!module.equals("ingest-service")) {
            properties.add("-Dquarkus.cassandra.contact-points=" + cassandraContactPoints);
            cassandraLogin.ifPresent(login -> properties.addAll(List.of(
                    "-Dquarkus.cassandra.auth.username=" + login.username(),
                    "-Dquarkus.cassandra.auth.password=" + login.password())));
        }
        return properties;
    }

    @Override
    public String name() {
        return name;
    }

    String module() {
        return module;
    }

    @Override
    public String host() {
        return HOST;
    }

    @Override
    public int port() {
        return port;
    }

    boolean moduleExists() {
        return Files.isRegularFile(layout.root().resolve(module).resolve("pom.xml"));
    }

    Path jar() {
        return layout.root().resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
    }

    @Override
    public List<String> markers() {
        return List.of("-Dquarkus.http.port=" + port, "-jar", jar().toString());
    }

    @Override
    public ProcessHandle start() {
        if (!Files.isRegularFile(jar())) {
            throw new StackException(module + ": " + layout.display(jar()) + " is missing; build it with "
                    + "./mvnw install -DskipTests");
        }
        List<String> command = new ArrayList<>(List.of(DetachedProcess.java()));
        // A service that ships JVM options (a java argument file beside its jar) runs with them, as in
        // its image and under bench/run.
        Path jvmOptions = jar().resolveSibling(JVM_OPTIONS);
        if (Files.isRegularFile(jvmOptions)) {
            command.add("@" + jvmOptions);
        }
        command.addAll(List.of(
                "-XX:+ExitOnOutOfMemoryError",
                // The port is passed, not assumed: the launcher waits on this port, whatever the service's defaults say.
                "-Dquarkus.http.port=" + port,
                "-Dquarkus.management.port=" + managementPort));
        command.addAll(connections);
        command.addAll(List.of(
                // The production build with the demo credentials of the local profile on top.
                "-Dquarkus.profile=prod,local",
                "-jar", jar().toString()));
        return DetachedProcess.start(command, log(), layout.root().resolve(module));
    }

    @Override
    public boolean answers() {
        return answers(settings.millis("probe.timeout.millis"));
    }

    @Override
    public boolean answers(Duration timeout) {
        if (!Tcp.listening(HOST, port, timeout)) {
            return false;
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + HOST + ":" + managementPort + READY_PATH))
                .timeout(timeout).GET().build();
        try {
            return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted", e);
        }
    }

    @Override
    public Duration readyTimeout() {
        return settings.seconds("service.ready.timeout.seconds");
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
