package io.tidemark.e2e;

import io.tidemark.testsupport.ServiceProcess;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The packaged services one test starts, each with settings and an environment of its own (the way a Deployment
 * hands a Secret's values over); closing the group stops them all.
 */
final class ServiceGroup implements AutoCloseable {

    private final Path root = Path.of(System.getProperty("tidemark.root", "..")).toAbsolutePath().normalize();
    private final String name;
    private final List<ServiceProcess> services = new ArrayList<>();

    /** @param name part of each service's log file name */
    ServiceGroup(String name) {
        this.name = name;
    }

    /** A service of the group, not started yet. */
    ServiceProcess add(String module, List<String> settings, Map<String, String> environment) {
        ServiceProcess service = ServiceProcess.of(root, module).properties(settings).environment(environment)
                .log(Path.of("target", "service-logs"), module + "-" + name + "-" + services.size() + ".log").build();
        services.add(service);
        return service;
    }

    @Override
    public void close() throws InterruptedException {
        ServiceProcess.closeAll(services);
    }
}
