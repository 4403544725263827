package io.tidemark.faults;

import io.tidemark.testsupport.PrivateStack;
import io.tidemark.testsupport.ServiceProcess;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The packaged services, pointed at the private stack, with the suite's sources and read token: one
 * of each on a single node; on a cluster two ingest and two dedup replicas (named "-2") and mart.
 */
final class Pipeline implements AutoCloseable {

    static final String INGEST = "ingest-service";
    static final String DEDUP = "dedup-service";
    static final String MART = "mart-service";
    static final String READ_TOKEN = "faults-read-token";

    /** How a replica is built again, e.g. under another clock. */
    private record Recipe(Path root, String module, List<String> properties, Path copyTo, String heap, Path logDir) {

        ServiceProcess build(String name, List<String> prefix) {
            return ServiceProcess.of(root, module).properties(properties).heap(heap).profile(null).commandPrefix(prefix)
                    .log(logDir, name + ".log").copyTo(copyTo).build();
        }
    }

    private final Map<String, ServiceProcess> services;
    private final Map<String, Recipe> recipes;

    private Pipeline(Map<String, ServiceProcess> services, Map<String, Recipe> recipes) {
        this.services = services;
        this.recipes = recipes;
    }

    /** Prepares (does not start) the services; {@code modules} picks which ones. */
    static Pipeline of(Path root, PrivateStack stack, List<Source> sources, FaultSettings settings, List<String> modules)
            throws IOException {
        return of(root, stack, sources, settings, modules, Map.of());
    }

    /**
     * As {@link #of(Path, PrivateStack, List, FaultSettings, List)}, with further system properties
     * ({@code key=value}) for some modules, after the suite's own: a test that needs shorter limits.
     */
    static Pipeline of(Path root, PrivateStack stack, List<Source> sources, FaultSettings settings, List<String> modules,
            Map<String, List<String>> overrides) throws IOException {
        Path logDir = root.resolve("faults/target/logs");
        Map<String, ServiceProcess> services = new java.util.LinkedHashMap<>();
        Map<String, Recipe> recipes = new java.util.HashMap<>();
        boolean cluster = stack.nodes() > 1;
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
                }
                case MART -> {
                    props.add("quarkus.cassandra.contact-points=" + stack.cassandraContact());
                    // Reads every source and runs the exports the suite triggers before it compares.
                    props.add("tidemark.mart.tokens.faults.token=" + READ_TOKEN);
                    props.add("tidemark.mart.tokens.faults.operator=true");
                    props.add("tidemark.mart.export.root=" + root.resolve(cluster ? "faults/target/cluster-marts" : "faults/target/marts"));
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
            int replicas = cluster && !module.equals(MART) ? 2 : 1;
            for (int replica = 1; replica <= replicas; replica++) {
                String name = PrivateStack.node(module, replica);
                Path apps = root.resolve("faults/target/apps").resolve("replica-" + replica);
                Recipe recipe = new Recipe(root, module, List.copyOf(props), apps, settings.serviceHeap(), logDir);
                recipes.put(name, recipe);
                services.put(name, recipe.build(name, List.of()));
            }
        }
        return new Pipeline(services, recipes);
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
        return services.entrySet().stream().filter(e -> recipes.get(e.getKey()).module().equals(module))
                .map(Map.Entry::getValue).toList();
    }

    @Override
    public void close() {
        for (ServiceProcess service : services.values()) {
            try {
                service.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
