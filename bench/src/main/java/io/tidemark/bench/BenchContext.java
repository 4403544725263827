package io.tidemark.bench;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** What a benchmark gets from the harness: where the servers are, services on demand, and a place to report. */
public final class BenchContext {

    private final boolean shortMode;
    private final Path root;
    private final String kafkaBootstrap;
    private final String cassandraContact;
    private final ServiceProcesses services;
    private final List<Figure> figures = Collections.synchronizedList(new ArrayList<>());

    BenchContext(boolean shortMode, Path root, String kafkaBootstrap, String cassandraContact, ServiceProcesses services) {
        this.shortMode = shortMode;
        this.root = root;
        this.kafkaBootstrap = kafkaBootstrap;
        this.cassandraContact = cassandraContact;
        this.services = services;
    }

    /** Seconds instead of minutes: the CI smoke run. */
    public boolean shortMode() {
        return shortMode;
    }

    public Path root() {
        return root;
    }

    public String kafkaBootstrap() {
        return kafkaBootstrap;
    }

    /**
     * The Cassandra node's local JMX port, for nodetool: the local stack's {@code cassandra.jmx.port}
     * unless {@code -Dtidemark.bench.cassandra-jmx} says otherwise.
     */
    public int cassandraJmxPort() {
        return Integer.getInteger("tidemark.bench.cassandra-jmx", 7199);
    }

    /** host:port of the Cassandra native transport. */
    public String cassandraContact() {
        return cassandraContact;
    }

    /** Base URI of a packaged service the harness starts on first use and stops at the end. */
    public URI service(String module) throws Exception {
        return services.start(module, Map.of());
    }

    /** As {@link #service(String)}, with extra system properties; only the first call's properties apply. */
    public URI service(String module, Map<String, String> systemProperties) throws Exception {
        return services.start(module, systemProperties);
    }

    /** Stops a harness-started service; a later {@link #service(String, Map)} starts it with new properties. */
    public void stopService(String module) throws InterruptedException {
        services.stop(module);
    }

    /**
     * The JVM flags the run was asked to give {@code module} (heap, extra flags), for a benchmark that
     * starts its own {@code ServiceProcess}: every service a run starts takes them, whoever starts it.
     */
    public List<String> jvmOptions(String module) {
        return ServiceProcesses.jvmOptions(module);
    }

    /** Current resident set size of a harness-started service, in KiB. */
    public long rssKb(String module) {
        return services.rssKb(module);
    }

    /** The process id of a harness-started service. */
    public long pid(String module) {
        return services.pid(module);
    }

    /** CPU time a harness-started service has used since it started, as the OS counts it. */
    public Duration cpuUsed(String module) {
        return services.cpuUsed(module);
    }

    /** {@code path} on a harness-started service's management port (health, metrics). */
    public URI managementUri(String module, String path) {
        return services.managementUri(module, path);
    }

    public void report(Figure figure) {
        figures.add(figure);
        System.out.printf("  %s / %s = %s%n", figure.area(), figure.metric(), ResultTable.number(figure.value()) + " " + figure.unit());
    }

    List<Figure> figures() {
        return List.copyOf(figures);
    }
}
