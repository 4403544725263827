package io.tidemark.local;

import io.tidemark.schema.CassandraTarget;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Cassandra node with the JVM flags Cassandra's own scripts use on JDK 17: alone on 127.0.0.1, or
 * one of three on 127.0.0.1–3, each a seed with a token of its own, evenly spaced around the ring.
 */
final class CassandraNode implements StackPart {

    static final String NAME = "cassandra";
    private static final String MAIN_CLASS = "org.apache.cassandra.service.CassandraDaemon";
    private static final String ALLOW_ALL = "AllowAllAuthenticator";

    /** From Cassandra's conf/jvm-server.options, minus -XX:+AlwaysPreTouch (it would fault in the whole heap at start). */
    private static final List<String> SERVER_OPTIONS = List.of(
            "-ea", "-da:net.openhft...",
            "-XX:+UseThreadPriorities", "-XX:+HeapDumpOnOutOfMemoryError", "-Xss256k",
            "-XX:+UseTLAB", "-XX:+ResizeTLAB", "-XX:+PerfDisableSharedMem",
            "-Djava.net.preferIPv4Stack=true");

    /** From Cassandra's conf/jvm17-server.options: its G1 settings and the module access it needs on JDK 17. */
    private static final List<String> JDK17_OPTIONS = List.of(
            "-XX:+UseG1GC", "-XX:+ParallelRefProcEnabled", "-XX:MaxTenuringThreshold=1", "-XX:G1HeapRegionSize=16m",
            "-XX:G1RSetUpdatingPauseTimePercent=5", "-XX:MaxGCPauseMillis=300", "-XX:InitiatingHeapOccupancyPercent=70",
            "-Djdk.attach.allowAttachSelf=true",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-exports", "java.base/java.lang.ref=ALL-UNNAMED",
            "--add-exports", "java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
            "--add-exports", "java.rmi/sun.rmi.registry=ALL-UNNAMED",
            "--add-exports", "java.rmi/sun.rmi.server=ALL-UNNAMED",
            "--add-exports", "java.sql/java.sql=ALL-UNNAMED",
            "--add-exports", "jdk.unsupported/sun.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang.module=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.loader=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.reflect=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.math=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.module=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.util.jar=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens", "java.base/java.io=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens", "java.base/java.util=ALL-UNNAMED",
            "--add-opens", "java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang=ALL-UNNAMED",
            "--add-opens", "java.base/java.math=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens", "java.base/java.net=ALL-UNNAMED",
            "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
            "-Dio.netty.tryReflectionSetAccessible=true",
            "-Dio.netty.allocator.useCacheForAllThreads=true",
            "-Dio.netty.allocator.maxOrder=11");

    /** Start and stop faster; each is safe only when the node is alone in its cluster. */
    private static final List<String> SINGLE_NODE_OPTIONS = List.of(
            // No peers whose gossip could settle: do not wait for it before opening the CQL port.
            "-Dcassandra.skip_wait_for_gossip_to_settle=0",
            // No peers to tell about the shutdown: do not sleep 2 s after announcing it.
            "-Dcassandra.shutdown_announce_in_ms=0");

    private final StackLayout layout;
    private final StackSettings settings;
    private final Topology topology;
    private final int index;
    private final String name;
    private final CassandraEndpoint endpoint;

    CassandraNode(StackLayout layout, StackSettings settings, Topology topology, int index) {
        this.layout = layout;
        this.settings = settings;
        this.topology = topology;
        this.index = index;
        this.name = Topology.nodeName(NAME, index);
        this.endpoint = new CassandraEndpoint(host(settings, index), settings.integer("cassandra.native.port"),
                settings.text("cassandra.local.datacenter"), credentials(settings));
    }

    /** The login every client needs once the node authenticates: none with Cassandra's AllowAllAuthenticator. */
    static Optional<CassandraTarget.Credentials> credentials(StackSettings settings) {
        if (ALLOW_ALL.equals(settings.text("cassandra.authenticator"))) {
            return Optional.empty();
        }
        return Optional.of(new CassandraTarget.Credentials(settings.text("cassandra.username"),
                settings.text("cassandra.password")));
    }

    private static String host(StackSettings settings, int index) {
        return Topology.nodeHost(settings.text("cassandra.host"), index);
    }

    /** Local JMX binds to 127.0.0.1 whatever the node's address: each node needs a port of its own. */
    private String jmxPort() {
        return Integer.toString(settings.integer("cassandra.jmx.port") + index - 1);
    }

    /**
     * One token per node, evenly spaced over Murmur3's range: nodes that start together need not
     * bootstrap from each other, and each holds a third of the ring before replication.
     */
    static String token(Topology topology, int index) {
        if (!topology.cluster()) {
            return "0";
        }
        BigInteger range = BigInteger.TWO.pow(64);
        return range.multiply(BigInteger.valueOf(index - 1)).divide(BigInteger.valueOf(topology.nodes()))
                .subtract(BigInteger.TWO.pow(63)).toString();
    }

    CassandraEndpoint endpoint() {
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

    private String configUrl() {
        return "-Dcassandra.config=" + dir().resolve("conf/cassandra.yaml").toUri();
    }

    @Override
    public List<String> markers() {
        return List.of(MAIN_CLASS, configUrl());
    }

    @Override
    public ProcessHandle start() {
        writeConfig();
        String heap = settings.text("cassandra.heap");
        List<String> command = new ArrayList<>(withoutMemoryLock());
        command.add(DetachedProcess.java());
        command.addAll(SERVER_OPTIONS);
        command.addAll(JDK17_OPTIONS);
        if (!topology.cluster()) {
            command.addAll(SINGLE_NODE_OPTIONS);
        }
        // After the stock flags, so that one given here wins over the stock one of the same name.
        command.addAll(extraOptions());
        command.addAll(List.of(
                "-Xms" + heap, "-Xmx" + heap,
                "-XX:+ExitOnOutOfMemoryError",
                configUrl(),
                "-Dcassandra-foreground=yes",
                "-Dcassandra.storagedir=" + dir(),
                "-Dcassandra.logdir=" + layout.logsDir(),
                "-Dlogback.configurationFile=" + dir().resolve("conf/logback.xml"),
                "-Dcassandra.jmx.local.port=" + jmxPort(),
                // With a password authenticator, its default superuser at once rather than ten seconds after start.
                "-Dcassandra.superuser_setup_delay_ms=0",
                "-cp", layout.cassandraLib() + "/*",
                MAIN_CLASS));
        return DetachedProcess.start(command, log(), dir());
    }

    /** The setting cassandra.jvm.extra.options: JVM flags, or cassandra.settings.* overrides of the YAML, comma-separated. */
    private List<String> extraOptions() {
        return Arrays.stream(settings.text("cassandra.jvm.extra.options").split(","))
                .map(String::trim).filter(option -> !option.isEmpty()).toList();
    }

    /**
     * Cassandra mlockall()s its memory at start. As root (or with an unlimited RLIMIT_MEMLOCK) that
     * succeeds, faults in the whole heap and costs ~2.5 s of start and ~0.8 GB of RSS for nothing on
     * a dev box. Lower the limit, and drop CAP_IPC_LOCK when root, so the call fails harmlessly.
     */
    private static List<String> withoutMemoryLock() {
        List<String> prefix = new ArrayList<>();
        DetachedProcess.executable("prlimit").ifPresent(prlimit -> prefix.addAll(List.of(prlimit, "--memlock=0:0")));
        if (isRoot()) {
            DetachedProcess.executable("setpriv").ifPresent(setpriv ->
                    prefix.addAll(List.of(setpriv, "--bounding-set=-ipc_lock", "--inh-caps=-ipc_lock")));
        }
        return prefix;
    }

    private static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private void writeConfig() {
        String storagePort = settings.text("cassandra.storage.port");
        Map<String, String> values = Map.of(
                "host", endpoint.host(),
                "native_port", Integer.toString(endpoint.port()),
                "storage_port", storagePort,
                "initial_token", token(topology, index),
                // Every node is a seed: any one of them lets a restarted node find the ring again.
                "seeds", String.join(",", topology.each(i -> host(settings, i) + ":" + storagePort)),
                "cassandra_dir", dir().toString(),
                "authenticator", settings.text("cassandra.authenticator"),
                "client_encryption", clientEncryption(settings));
        TemplateRenderer.renderTo("cassandra/cassandra.yaml", values, dir().resolve("conf/cassandra.yaml"));
        TemplateRenderer.renderTo("cassandra/logback.xml", Map.of(), dir().resolve("conf/logback.xml"));
    }

    /**
     * TLS required on the CQL port when the stack names the node's key store, and a client certificate too when it
     * names a trust store for them; nothing otherwise.
     */
    private static String clientEncryption(StackSettings settings) {
        String keyStore = settings.text("cassandra.tls.keystore");
        if (keyStore.isEmpty()) {
            return "";
        }
        List<String> options = new ArrayList<>(List.of(
                "client_encryption_options:",
                "  enabled: true",
                "  optional: false",
                "  keystore: " + keyStore,
                "  keystore_password: " + settings.text("cassandra.tls.keystore.password"),
                // Cassandra reads the trust store in the key store's type.
                "  store_type: PKCS12"));
        String trustStore = settings.text("cassandra.tls.truststore");
        if (!trustStore.isEmpty()) {
            options.addAll(List.of(
                    "  require_client_auth: true",
                    "  truststore: " + trustStore,
                    "  truststore_password: " + settings.text("cassandra.tls.truststore.password")));
        }
        return String.join("\n", options);
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
    public Duration readyTimeout() {
        return settings.seconds("cassandra.ready.timeout.seconds");
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
