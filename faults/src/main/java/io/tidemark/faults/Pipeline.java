package io.tidemark.faults;

import io.tidemark.testsupport.PrivateStack;
import io.tidemark.testsupport.ServiceProcess;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The three packaged services, pointed at the private stack, with the suite's sources and read token. */
final class Pipeline implements AutoCloseable {

    static final String INGEST = "ingest-service";
    static final String DEDUP = "dedup-service";
    static final String MART = "mart-service";
    static final String READ_TOKEN = "faults-read-token";

    private final Map<String, ServiceProcess> services;

    private Pipeline(Map<String, ServiceProcess> services) {
        this.services = services;
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
                    props.add("tidemark.mart.export.root=" + root.resolve("faults/target/marts"));
                    // The suite exports on demand (POST /api/v1/exports) right before it compares.
                    props.add("tidemark.mart.export.every=off");
                }
                default -> throw new IllegalArgumentException("unknown service " + module);
            }
            props.addAll(overrides.getOrDefault(module, List.of()));
            services.put(module, ServiceProcess.of(root, module).properties(props).heap(settings.serviceHeap()).profile(null)
                    .log(logDir, module + ".log").copyTo(root.resolve("faults/target/apps")).build());
        }
        return new Pipeline(services);
    }

    void startAll() throws IOException, InterruptedException {
        for (ServiceProcess service : services.values()) {
            Log.info("starting " + service.module());
            service.start();
            Log.info(service.module() + " ready at " + service.uri("") + " (pid " + service.pid() + ")");
        }
    }

    /** Starts any service that is not running (after a fault that took one down). */
    void restartDead() throws IOException, InterruptedException {
        for (ServiceProcess service : services.values()) {
            if (!service.isAlive()) {
                Log.info(service.module() + " is not running; starting it again");
                service.start();
            }
        }
    }

    ServiceProcess service(String module) {
        ServiceProcess service = services.get(module);
        if (service == null) {
            throw new IllegalArgumentException(module + " is not part of this pipeline");
        }
        return service;
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
