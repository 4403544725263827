package io.tidemark.local;

import com.datastax.oss.driver.api.core.DriverException;
import io.tidemark.schema.CassandraSchema;
import io.tidemark.schema.Replication;
import io.tidemark.schema.SchemaException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The stack's commands: up, down, status, ensure, release, and the reaper's stop on owner exit. */
final class LocalStack {

    /** The keyspace the services read and write (they name it in every statement). */
    private static final String SCHEMA_KEYSPACE = "tidemark";

    private final StackLayout layout;
    private final StackSettings settings;
    private final Topology topology;
    private final List<KafkaNode> kafka;
    private final List<CassandraNode> cassandra;
    private final List<QuarkusService> services;
    private final Readiness readiness;
    private final ProcessStopper stopper;
    private final PrintStream out;

    LocalStack(StackLayout layout, StackSettings settings, Topology topology, PrintStream out) {
        this.layout = layout;
        this.settings = settings;
        this.topology = topology;
        this.kafka = topology.each(i -> new KafkaNode(layout, settings, topology, i));
        this.cassandra = topology.each(i -> new CassandraNode(layout, settings, topology, i));
        String bootstrap = kafkaBootstrap();
        String contactPoints = String.join(",", cassandra.stream().map(c -> c.endpoint().address()).toList());
        List<QuarkusService> services = new ArrayList<>();
        for (String module : QuarkusService.MODULES) {
            for (int replica = 1; replica <= topology.replicas(module); replica++) {
                services.add(new QuarkusService(module, replica, layout, settings,
                        QuarkusService.connections(module, bootstrap, contactPoints, CassandraNode.credentials(settings))));
            }
        }
        this.services = List.copyOf(services);
        this.readiness = new Readiness(layout, settings);
        this.stopper = new ProcessStopper(settings);
        this.out = out;
    }

    private String kafkaBootstrap() {
        return String.join(",", kafka.stream().map(k -> k.endpoint().bootstrap()).toList());
    }

    private List<StackPart> infrastructure() {
        List<StackPart> parts = new ArrayList<>(kafka);
        parts.addAll(cassandra);
        return parts;
    }

    /**
     * Cassandra first: its nodes take longest to answer (a three-node cluster about 48 s under a fault suite's
     * load, one node about 7 s), while each broker is first formatted by a JVM of Kafka's own tools, run to
     * completion (a cluster's three took 8.5 s): started after the brokers, Cassandra waited for all of them.
     */
    private List<StackPart> startOrder() {
        List<StackPart> parts = new ArrayList<>(cassandra);
        parts.addAll(kafka);
        return parts;
    }

    private List<StackPart> allParts() {
        List<StackPart> all = new ArrayList<>(infrastructure());
        all.addAll(services);
        return all;
    }

    private Optional<StackPart> part(String name) {
        return allParts().stream().filter(p -> p.name().equals(name)).findFirst();
    }

    private StackPart requirePart(String name) {
        return part(name).orElseThrow(() -> new StackException("no part named " + name + "; parts: "
                + String.join(", ", allParts().stream().map(StackPart::name).toList())));
    }

    // ---- commands -------------------------------------------------------------------------------

    /** Kafka, Cassandra, topics, schema and (unless told not to) the three services, kept running. */
    void up(boolean withServices) {
        try (StackLock lock = StackLock.acquire(layout)) {
            topology.record(layout);
            for (OwnerLease lease : OwnerLease.all(layout)) {
                stopReaper(lease);
                lease.delete(layout);
                if (!lease.parts().isEmpty()) {
                    out.println(String.join(", ", lease.parts()) + " were started for build process " + lease.ownerPid()
                            + "; `up` keeps them running after it ends");
                }
            }
            startInfrastructure(Optional.empty());
            prepareTopicsAndSchema();
            if (withServices) {
                startServices();
            }
        }
        out.println();
        out.print(StatusTable.format(rows()));
        out.println("Data and logs: " + layout.display(layout.localDir()) + "   Stop everything: deploy/local/down");
    }

    /** Stops what the stack started, by recorded PID: reapers, services, then Kafka and Cassandra. */
    void down() {
        try (StackLock lock = StackLock.acquire(layout)) {
            for (OwnerLease lease : OwnerLease.all(layout)) {
                stopReaper(lease);
                lease.delete(layout);
            }
            List<String> report = new ArrayList<>(stop(new ArrayList<>(services)));
            report.addAll(stop(infrastructure()));
            if (report.isEmpty()) {
                out.println("nothing started by the stack is running");
            }
            report.forEach(out::println);
            for (StackPart part : infrastructure()) {
                if (part.answers()) {
                    out.println(part.name() + " still answers on " + part.address()
                            + ", but not as a process this stack recorded: left alone");
                }
            }
        }
    }

    void status() {
        out.print(StatusTable.format(rows()));
        for (OwnerLease lease : OwnerLease.all(layout)) {
            out.println("owner " + lease.ownerPid() + (lease.ownerAlive() ? " (running)" : " (gone)")
                    + ": its reaper (pid " + lease.reaperPid() + ") stops "
                    + (lease.parts().isEmpty() ? "nothing" : String.join(", ", lease.parts())) + " when it exits");
        }
        out.println("Data and logs: " + layout.display(layout.localDir()));
    }

    /** For builds: reuse Kafka and Cassandra if they answer, else start them and reap them when the owner exits. */
    void ensure(Owner owner) {
        try (StackLock lock = StackLock.acquire(layout)) {
            topology.record(layout);
            stopOrphanedLeases();
            startInfrastructure(Optional.of(owner));
            prepareTopicsAndSchema();
        }
    }

    /** Stops now what `ensure` started for this owner, if anything. */
    void release(long ownerPid) {
        try (StackLock lock = StackLock.acquire(layout)) {
            Optional<OwnerLease> lease = OwnerLease.read(layout, ownerPid);
            if (lease.isEmpty()) {
                out.println("nothing was started for owner " + ownerPid + "; nothing to release");
                return;
            }
            stopReaper(lease.get());
            stopLeasedParts(lease.get());
        }
    }

    /**
     * Stops one part by its recorded PID and nothing else, leaving any lease in place so that its
     * reaper still stops the part once `ensure` has started it again: fault tests stop a server mid-run.
     */
    void stopPart(String name) {
        try (StackLock lock = StackLock.acquire(layout)) {
            StackPart target = requirePart(name);
            List<String> report = stop(List.of(target));
            if (report.isEmpty()) {
                out.println(name + ": no recorded process of this stack runs; nothing stopped");
            }
            report.forEach(out::println);
        }
    }

    /**
     * Starts one part again on its own data and waits for that part alone; the counterpart of
     * {@link #stopPart}. Unlike `ensure` it probes no other part and applies no topics or schema: right
     * after a fault the machine is loaded, and a healthy part that answers one probe slowly must not
     * fail the restart of another. A lease that named the part still does, so its reaper stops it.
     */
    void startPart(String name) {
        try (StackLock lock = StackLock.acquire(layout)) {
            StackPart target = requirePart(name);
            Optional<ProcessHandle> running = target.pidFile().live(target.markers());
            if (running.isEmpty()) {
                if (target.answers()) {
                    out.println(name + ": answering on " + target.address() + ", not started by this stack; left alone");
                    return;
                }
                ProcessHandle process = target.start();
                target.pidFile().write(process.pid());
                out.println(name + ": started, pid " + process.pid() + ", log " + layout.display(target.log()));
                running = Optional.of(process);
            }
            try {
                Duration took = readiness.await(target, running);
                out.printf("%s: ready on %s (%.1f s)%n", name, target.address(), took.toMillis() / 1000.0);
            } catch (StackException e) {
                stop(List.of(target)).forEach(out::println);
                throw e;
            }
        }
    }

    /**
     * Freezes (SIGSTOP) or thaws (SIGCONT) one part's recorded process: a node that stops answering
     * without closing its connections, as in a long GC pause or on a disk that hangs.
     */
    void signal(String name, boolean freeze) {
        StackPart target = requirePart(name);
        ProcessHandle process = target.pidFile().live(target.markers())
                .orElseThrow(() -> new StackException(name + ": no recorded process of this stack runs"));
        String signal = freeze ? "-STOP" : "-CONT";
        DetachedProcess.runToCompletion(List.of("kill", signal, Long.toString(process.pid())), layout.log("signals"),
                layout.localDir(), settings.integer("log.tail.lines"));
        out.println(name + ": " + (freeze ? "frozen" : "thawed") + " (pid " + process.pid() + ")");
    }

    /** Run by the reaper once its owner has exited. */
    void reap(Owner owner, long reaperPid) {
        try (StackLock lock = StackLock.acquire(layout)) {
            Optional<OwnerLease> lease = OwnerLease.read(layout, owner.pid())
                    .filter(l -> l.ownerStartMillis() == owner.startMillis() && l.reaperPid() == reaperPid);
            if (lease.isEmpty()) {
                out.println("lease of owner " + owner.pid() + " was released or adopted already; nothing to stop");
                return;
            }
            out.println("owner " + owner.pid() + " exited; stopping " + String.join(", ", lease.get().parts()));
            stopLeasedParts(lease.get());
        }
    }

    // ---- starting -------------------------------------------------------------------------------

    private void startInfrastructure(Optional<Owner> owner) {
        StackVersions.check(layout);
        Map<StackPart, Optional<ProcessHandle>> waiting = new LinkedHashMap<>();
        List<StackPart> started = new ArrayList<>();
        Optional<OwnerLease> lease = Optional.empty();
        for (StackPart part : startOrder()) {
            if (part.answers()) {
                Optional<ProcessHandle> ours = part.pidFile().live(part.markers());
                out.println(part.name() + ": answering on " + part.address()
                        + ours.map(p -> " (pid " + p.pid() + "), reused").orElse(", not started by this stack, reused"));
                continue;
            }
            Optional<ProcessHandle> running = part.pidFile().live(part.markers());
            if (running.isPresent()) {
                out.println(part.name() + ": pid " + running.get().pid() + " runs but does not answer yet; waiting");
                waiting.put(part, running);
                continue;
            }
            if (Tcp.listening(part.host(), part.port(), settings.millis("probe.timeout.millis"))) {
                out.println(part.name() + ": something not started by this stack listens on " + part.address() + "; waiting for it to answer");
                waiting.put(part, Optional.empty());
                continue;
            }
            if (owner.isPresent() && lease.isEmpty()) {
                lease = Optional.of(leaseFor(owner.get()));
            }
            ProcessHandle process = part.start();
            part.pidFile().write(process.pid());
            started.add(part);
            if (lease.isPresent()) {
                lease = Optional.of(lease.get().withPart(part.name()));
                lease.get().write(layout);
            }
            out.println(part.name() + ": started, pid " + process.pid() + ", log " + layout.display(part.log()));
            waiting.put(part, Optional.of(process));
        }
        for (Map.Entry<StackPart, Optional<ProcessHandle>> entry : waiting.entrySet()) {
            StackPart part = entry.getKey();
            try {
                Duration took = readiness.await(part, entry.getValue());
                out.printf("%s: ready on %s (%.1f s)%n", part.name(), part.address(), took.toMillis() / 1000.0);
            } catch (StackException e) {
                if (owner.isPresent()) {
                    // A build must not leave half a stack behind: stop everything this call started.
                    lease.ifPresent(this::stopReaper);
                    lease.ifPresent(l -> l.delete(layout));
                    stop(started).forEach(out::println);
                } else if (started.contains(part)) {
                    stop(List.of(part)).forEach(out::println);
                }
                throw e;
            }
        }
    }

    /** The owner's lease, with a reaper watching the owner; reused if this owner has one already. */
    private OwnerLease leaseFor(Owner owner) {
        Optional<OwnerLease> existing = OwnerLease.read(layout, owner.pid())
                .filter(l -> l.ownerStartMillis() == owner.startMillis());
        if (existing.isPresent() && ProcessIdentity.find(existing.get().reaperPid(), existing.get().reaperMarkers()).isPresent()) {
            return existing.get();
        }
        OwnerLease lease = existing.orElse(new OwnerLease(owner.pid(), owner.startMillis(), List.of(), 0));
        ProcessHandle reaper = DetachedProcess.start(OwnerReaper.command(layout, owner), layout.log("reaper"), layout.localDir());
        lease = lease.withReaper(reaper.pid());
        lease.write(layout);
        out.println("reaper: pid " + reaper.pid() + " stops what this command starts once process " + owner.pid() + " exits");
        return lease;
    }

    private void prepareTopicsAndSchema() {
        List<TopicPlan.Topic> topics;
        try {
            topics = TopicPlan.parse(Files.readString(layout.topicsFile(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new StackException("cannot read " + layout.topicsFile() + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new StackException(layout.display(layout.topicsFile()) + ": " + e.getMessage(), e);
        }
        short replicas = (short) (topology.cluster() ? topology.nodes() : settings.integer("kafka.topic.replication.factor"));
        TopicCreator creator = new TopicCreator(kafkaBootstrap(), replicas, KafkaNode.minInSyncReplicas(topology),
                settings.seconds("cassandra.schema.request.timeout.seconds"));
        creator.apply(topics).forEach(line -> out.println("topic " + line));

        CassandraSchema schema = new CassandraSchema(CassandraEndpoint.target(cassandra.stream().map(CassandraNode::endpoint).toList(),
                settings.seconds("cassandra.schema.request.timeout.seconds")));
        String replication = settings.text(topology.cluster() ? "cluster.cassandra.keyspace.replication" : "cassandra.keyspace.replication");
        try {
            schema.apply(SCHEMA_KEYSPACE, Replication.parse(replication))
                    .forEach(line -> out.println("schema " + line));
        } catch (SchemaException | DriverException e) {
            throw new StackException("schema: " + e.getMessage(), e);
        }
    }

    private void startServices() {
        Map<StackPart, Optional<ProcessHandle>> waiting = new LinkedHashMap<>();
        for (QuarkusService service : services) {
            if (!service.moduleExists()) {
                out.println(service.name() + ": no module in this checkout; skipped");
                continue;
            }
            if (service.answers()) {
                out.println(service.name() + ": ready on " + service.address() + ", reused");
                continue;
            }
            Optional<ProcessHandle> running = service.pidFile().live(service.markers());
            if (running.isEmpty()) {
                ProcessHandle process = service.start();
                service.pidFile().write(process.pid());
                out.println(service.name() + ": started, pid " + process.pid() + ", log " + layout.display(service.log()));
                running = Optional.of(process);
            }
            waiting.put(service, running);
        }
        for (Map.Entry<StackPart, Optional<ProcessHandle>> entry : waiting.entrySet()) {
            try {
                Duration took = readiness.await(entry.getKey(), entry.getValue());
                out.printf("%s: ready on %s (%.1f s)%n", entry.getKey().name(), entry.getKey().address(), took.toMillis() / 1000.0);
            } catch (StackException e) {
                stop(List.of(entry.getKey())).forEach(out::println);
                throw e;
            }
        }
    }

    // ---- stopping -------------------------------------------------------------------------------

    /** Stops the parts' recorded, still matching processes; parts with none are skipped silently. */
    private List<String> stop(List<? extends StackPart> parts) {
        List<ProcessStopper.Target> targets = new ArrayList<>();
        for (StackPart part : parts) {
            part.pidFile().live(part.markers()).ifPresent(p -> targets.add(new ProcessStopper.Target(part.name(), p)));
        }
        if (targets.isEmpty()) {
            return List.of();
        }
        List<String> report = stopper.stop(targets);
        // Looking again removes the PID files of the processes that are gone.
        parts.forEach(part -> part.pidFile().live(part.markers()));
        return report;
    }

    private void stopLeasedParts(OwnerLease lease) {
        List<StackPart> parts = lease.parts().stream().map(this::part).flatMap(Optional::stream).toList();
        List<String> report = stop(parts);
        lease.delete(layout);
        report.forEach(out::println);
        if (report.isEmpty()) {
            out.println("the servers of owner " + lease.ownerPid() + " were not running any more");
        }
    }

    private void stopReaper(OwnerLease lease) {
        if (lease.reaperPid() == ProcessHandle.current().pid()) {
            return;
        }
        ProcessIdentity.find(lease.reaperPid(), lease.reaperMarkers())
                .ifPresent(reaper -> stopper.stop(List.of(new ProcessStopper.Target("reaper", reaper))));
    }

    /** Leases whose owner and reaper are both gone (a killed reaper, a reboot): stop what they hold. */
    private void stopOrphanedLeases() {
        for (OwnerLease lease : OwnerLease.all(layout)) {
            boolean reaperAlive = ProcessIdentity.find(lease.reaperPid(), lease.reaperMarkers()).isPresent();
            if (!lease.ownerAlive() && !reaperAlive) {
                out.println("owner " + lease.ownerPid() + " is gone and so is its reaper; stopping what it left");
                stopLeasedParts(lease);
            }
        }
    }

    // ---- status ---------------------------------------------------------------------------------

    private List<StatusTable.Row> rows() {
        List<StatusTable.Row> rows = new ArrayList<>();
        for (StackPart part : infrastructure()) {
            rows.add(row(part, true));
        }
        for (QuarkusService service : services) {
            rows.add(row(service, service.moduleExists()));
        }
        return rows;
    }

    private StatusTable.Row row(StackPart part, boolean present) {
        Optional<ProcessHandle> process = part.pidFile().live(part.markers());
        String pid = process.map(p -> Long.toString(p.pid())).orElse("");
        String state;
        if (!present) {
            state = "no module";
        } else if (part.answers()) {
            state = process.isPresent() ? "answering" : "answering (not started by this stack)";
        } else if (process.isPresent()) {
            state = "running, not answering";
        } else {
            state = "stopped";
        }
        return new StatusTable.Row(part.name(), pid, part.address(), state, layout.display(part.log()));
    }
}
