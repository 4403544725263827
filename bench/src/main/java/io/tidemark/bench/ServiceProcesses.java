package io.tidemark.bench;

import io.tidemark.testsupport.ServiceProcess;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The services a benchmark asked for, each its packaged JVM on a free port as in production, so
 * the figures include real HTTP, Kafka and Cassandra hops and never a bench-tuned copy. A service is
 * started once, with its first caller's properties.
 */
final class ServiceProcesses implements AutoCloseable {

    private final Path root;
    private final Path logDir;
    private final String serviceHeap;
    private final Map<String, ServiceProcess> running = new LinkedHashMap<>();

    ServiceProcesses(Path root, Path logDir, String serviceHeap) {
        this.root = root;
        this.logDir = logDir;
        this.serviceHeap = serviceHeap;
    }

    synchronized URI start(String module, Map<String, String> properties) {
        ServiceProcess existing = running.get(module);
        if (existing != null) {
            return existing.uri("");
        }
        List<String> jvm = jvmOptions(module);
        List<String> props = new ArrayList<>();
        properties.forEach((key, value) -> props.add(key + "=" + value));
        ServiceProcess service = ServiceProcess.of(root, module).properties(props).jvmOptions(jvm).heap(serviceHeap)
                .log(logDir, module + ".log").start();
        running.put(module, service);
        System.out.printf("  started %s on %s (pid %d, log %s)%n    %s%n", module, service.uri(""), service.pid(),
                service.log(), String.join(" ", service.command().subList(1, service.command().size())));
        return service.uri("");
    }

    /**
     * The JVM flags the run was asked to give a service: a heap ({@code -Dtidemark.bench.heap.<module>} or
     * {@code -Dtidemark.bench.service-heap}), then extra flags ({@code -Dtidemark.bench.jvm.<module>},
     * comma- or space-separated), both after the shipped JVM options, so they win over them.
     */
    static List<String> jvmOptions(String module) {
        List<String> jvm = new ArrayList<>();
        String heap = System.getProperty("tidemark.bench.heap." + module, System.getProperty("tidemark.bench.service-heap"));
        if (heap != null) {
            jvm.add("-Xmx" + heap);
        }
        String extra = System.getProperty("tidemark.bench.jvm." + module, "").trim();
        if (!extra.isEmpty()) {
            jvm.addAll(List.of(extra.split("[,\\s]+")));
        }
        return jvm;
    }

    /** Stops a service this run started, so the next {@link #start} starts it anew with its own properties. */
    synchronized void stop(String module) throws InterruptedException {
        ServiceProcess service = running.remove(module);
        if (service != null) {
            service.close();
        }
    }

    long rssKb(String module) {
        return started(module).rssKb();
    }

    long pid(String module) {
        return started(module).pid();
    }

    Duration cpuUsed(String module) {
        return ProcessHandle.of(started(module).pid()).flatMap(p -> p.info().totalCpuDuration())
                .orElseThrow(() -> new IllegalStateException(module + ": the OS reports no CPU time"));
    }

    URI managementUri(String module, String path) {
        return started(module).managementUri(path);
    }

    private ServiceProcess started(String module) {
        ServiceProcess service = running.get(module);
        if (service == null) {
            throw new IllegalStateException(module + " was not started by this run");
        }
        return service;
    }

    @Override
    public synchronized void close() throws InterruptedException {
        for (ServiceProcess service : running.values()) {
            service.close();
        }
        running.clear();
    }
}
