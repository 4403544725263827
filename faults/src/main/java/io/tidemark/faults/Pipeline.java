package io.tidemark.faults;

import io.tidemark.testsupport.PrivateStack;
import io.tidemark.testsupport.S3ProxyServer;
import io.tidemark.testsupport.ServiceProcess;
import io.tidemark.testsupport.Trees;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The packaged services, pointed at the private stack, with the suite's sources and read token: one
 * of each on a single node; on a cluster two replicas of each (the second named "-2"). The two mart
 * replicas share their exports as in production: a bucket on a real S3-compatible server (S3Proxy on
 * local files), each replica with a mirror of its own, the work split by the export leases.
 */
final class Pipeline implements AutoCloseable {

    static final String INGEST = "ingest-service";
    static final String DEDUP = "dedup-service";
    static final String MART = "mart-service";
    static final String READ_TOKEN = "faults-read-token";

    /**
     * How long a replica may take to be ready. A mart replica on a cluster is ready only once its
     * mirror holds what the bucket holds: in the full suite's rolling restart, with 18 sources of
     * 31 days each on two cores at load 30, the JVM took 72 s to start and the mirror over two
     * minutes more. Ten minutes is what a Kubernetes rollout waits by default (progressDeadlineSeconds).
     */
    private static final java.time.Duration MIRRORED_READY_TIMEOUT = java.time.Duration.ofMinutes(10);

    /** How a replica is built again, e.g. under another clock; without a ready timeout, ServiceProcess's own. */
    private record Recipe(Path root, String module, List<String> properties, Path copyTo, String heap, Path logDir,
            java.util.Optional<java.time.Duration> readyTimeout) {

        ServiceProcess build(String name, List<String> prefix) {
            ServiceProcess.Builder builder = ServiceProcess.of(root, module).properties(properties).heap(heap).profile(null)
                    .commandPrefix(prefix).log(logDir, name + ".log").copyTo(copyTo);
            readyTimeout.ifPresent(builder::readyTimeout);
            return builder.build();
        }
    }

    private final Map<String, ServiceProcess> services;
    private final Map<String, Recipe> recipes;
    /** The cluster's mart bucket, or null. */
    private final S3ProxyServer bucket;

    private Pipeline(Map<String, ServiceProcess> services, Map<String, Recipe> recipes, S3ProxyServer bucket) {
        this.services = services;
        this.recipes = recipes;
        this.bucket = bucket;
    }

    /** Prepares (does not start) the services; {@code modules} picks which ones. */
    static Pipeline of(Path root, PrivateStack stack, List<Source> sources, FaultSettings settings, List<String> modules)
            throws IOException {
        return of(root, stack, sources, settings, modules, Map.of());
    }

    /**
     * As {@link #of(Path, PrivateStack, List, FaultSettings, List)}, with further system properties
     * ({@code key=value}) for some modules, after the suite's own: a test that needs shorter limits.
     * On a cluster with mart, the bucket's server starts here: the replicas' settings name its port.
     */
    static Pipeline of(Path root, PrivateStack stack, List<Source> sources, FaultSettings settings, List<String> modules,
            Map<String, List<String>> overrides) throws IOException {
        Path logDir = root.resolve("faults/target/logs");
        Map<String, ServiceProcess> services = new java.util.LinkedHashMap<>();
        Map<String, Recipe> recipes = new java.util.HashMap<>();
        boolean cluster = stack.nodes() > 1;
        S3ProxyServer bucket = null;
        Map<String, String> store = Map.of();
        Path martRoot = root.resolve(cluster ? "faults/target/cluster-marts" : "faults/target/marts");
        if (cluster && modules.contains(MART)) {
            // The bucket is new on every run, so the mirrors of an earlier run must not outlive it.
            Trees.delete(martRoot);
            bucket = new S3ProxyServer();
            store = bucket.start();
        }
        for (String module : modules) {
            List<String> props = new ArrayList<>();
            switch (module) {
                case INGEST -> {
                    props.add("kafka.bootstrap.servers=" + stack.kafkaBootstrap());
                    sources.forEach(s -> props.add("tidemark.ingest.sources." + s.id() + ".write-keys=" + s.writeKey()));
                }
                case DEDUP -> {
                    props.add("kafka.bootstrap.servers=" + stack.kafkaBootstrap());
                    props.add("quarkus.cassandra.contact-points=" + stack.cassandraContact());
                    if (settings.shortMode() && !cluster) {
                        // A killed dedup holds its partitions until its consumers' sessions time out: Kafka's 45 s
                        // were most of the short run's kill-dedup fault. The full run keeps the shipped setting.
                        props.add("mp.messaging.incoming.events-raw.session.timeout.ms=6000");
                        props.add("mp.messaging.incoming.events-raw.heartbeat.interval.ms=2000");
                    }
                }
                case MART -> {
                    props.add("quarkus.cassandra.contact-points=" + stack.cassandraContact());
                    // Reads every source and runs the exports the suite triggers before it compares.
                    props.add("tidemark.mart.tokens.faults.token=" + READ_TOKEN);
                    props.add("tidemark.mart.tokens.faults.operator=true");
                    store.forEach((key, value) -> props.add(key + "=" + value));
                    // The suite exports on demand (POST /api/v1/exports) right before it compares. On a
                    // cluster mart also exports every few seconds, so late events reach days exported already.
                    props.add("tidemark.mart.export.every=" + (cluster ? "10s" : "off"));
                    props.add("tidemark.mart.export.first-delay=" + (cluster ? "5s" : "30s"));
                    // The suite's own export, refused while a periodic one runs, asks again this soon.
                    props.add("tidemark.mart.export.busy-retry-after=2s");
                }
                default -> throw new IllegalArgumentException("unknown service " + module);
            }
            props.addAll(overrides.getOrDefault(module, List.of()));
            int replicas = cluster ? 2 : 1;
            for (int replica = 1; replica <= replicas; replica++) {
                String name = PrivateStack.node(module, replica);
                Path apps = root.resolve("faults/target/apps").resolve("replica-" + replica);
                List<String> replicaProps = new ArrayList<>(props);
                if (module.equals(MART)) {
                    // Each replica's disk: the whole store on a single node, a mirror of the bucket on a cluster.
                    replicaProps.add("tidemark.mart.export.root=" + (cluster ? martRoot.resolve("replica-" + replica) : martRoot));
                }
                Recipe recipe = new Recipe(root, module, List.copyOf(replicaProps), apps, settings.serviceHeap(), logDir,
                        bucket != null && module.equals(MART) ? java.util.Optional.of(MIRRORED_READY_TIMEOUT)
                                : java.util.Optional.empty());
                recipes.put(name, recipe);
                services.put(name, recipe.build(name, List.of()));
            }
        }
        return new Pipeline(services, recipes, bucket);
    }

    void startAll() throws IOException, InterruptedException {
        for (Map.Entry<String, ServiceProcess> entry : services.entrySet()) {
            Log.info("starting " + entry.getKey());
            entry.getValue().start();
            Log.info(entry.getKey() + " ready at " + entry.getValue().uri("") + " (pid " + entry.getValue().pid() + ")");
        }
    }

    /** Starts any service that is not running (after a fault that took one down). */
    void restartDead() throws IOException, InterruptedException {
        for (Map.Entry<String, ServiceProcess> entry : services.entrySet()) {
            if (!entry.getValue().isAlive()) {
                Log.info(entry.getKey() + " is not running; starting it again");
                entry.getValue().start();
            }
        }
    }

    /**
     * Stops replica {@code name} and starts it again as a new process with {@code prefix} before its
     * {@code java} (e.g. faketime), on new ports; an empty prefix brings back the plain replica.
     */
    void replace(String name, List<String> prefix) throws InterruptedException {
        service(name).close();
        ServiceProcess replacement = recipes.get(name).build(name, prefix);
        services.put(name, replacement);
        replacement.start();
    }

    /** A replica by name: the module's name for the first, "-2" for the second. */
    ServiceProcess service(String name) {
        ServiceProcess service = services.get(name);
        if (service == null) {
            throw new IllegalArgumentException(name + " is not part of this pipeline");
        }
        return service;
    }

    /** Every replica, by name, in start order. */
    Map<String, ServiceProcess> services() {
        return java.util.Collections.unmodifiableMap(services);
    }

    /** The replicas of one module. */
    List<ServiceProcess> replicas(String module) {
        return List.copyOf(named(module).values());
    }

    /** The replicas of one module by name, in start order. */
    Map<String, ServiceProcess> named(String module) {
        Map<String, ServiceProcess> named = new java.util.LinkedHashMap<>();
        services.forEach((name, service) -> {
            if (recipes.get(name).module().equals(module)) {
                named.put(name, service);
            }
        });
        return named;
    }

    @Override
    public void close() {
        try {
            // The replicas stop side by side: each dedup takes 2-3 s to leave its group.
            ServiceProcess.closeAll(services.values());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (bucket != null) {
            bucket.stop();
        }
    }
}
