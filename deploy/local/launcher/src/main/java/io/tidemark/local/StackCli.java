package io.tidemark.local;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Entry point of deploy/local/stack: parses the command line and runs one stack command. */
public final class StackCli {

    private static final String USAGE = """
            usage: stack [--root DIR] COMMAND [OPTIONS]
              up [--no-services]        start Kafka, Cassandra, topics, schema and the services; keep them running
              down                      stop everything the stack started (by recorded PID)
              status                    what runs, under which PID, where it listens, where it logs
              ensure --owner-pid PID    for builds: reuse running servers, or start them and stop them
                                        when process PID exits (a reaper watches it)
              release --owner-pid PID   stop now what `ensure` started for PID; nothing otherwise
              stop PART                 stop only that recorded part (kafka, cassandra, ingest-service, ...)
              start PART                start only that part again and wait for it (fault tests use both)
              freeze PART | thaw PART   SIGSTOP / SIGCONT that part's recorded process (a GC pause, a hung disk)
            --cluster                   with up or ensure: 3 Kafka brokers and 3 Cassandra nodes on 127.0.0.1-3
                                        (RF 3, min.insync.replicas 2, keyspace datacenter1:3), 2 ingest and
                                        2 dedup replicas (ports +10) and mart; data in <root>/.tidemark-cluster.
                                        Later commands on that directory remember it (pass --cluster to pick it)
            The stack script turns --owner-parent into --owner-pid of its parent process.
            Data, logs and PID files: $TIDEMARK_LOCAL_DIR or <root>/.tidemark-local (.tidemark-cluster with --cluster)
            """;

    private static final List<String> PART_COMMANDS = List.of("stop", "start", "freeze", "thaw");

    private StackCli() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        Path root = Path.of("").toAbsolutePath();
        Path localDir = null;
        String command = null;
        Long ownerPid = null;
        boolean withServices = true;
        boolean cluster = false;
        String partName = null;
        List<String> rest = new ArrayList<>(List.of(args));
        try {
            while (!rest.isEmpty()) {
                String arg = rest.remove(0);
                switch (arg) {
                    case "--root" -> root = Path.of(value(rest, arg));
                    case "--local-dir" -> localDir = Path.of(value(rest, arg));
                    case "--owner-pid" -> ownerPid = parsePid(value(rest, arg));
                    case "--no-services" -> withServices = false;
                    case "--cluster" -> cluster = true;
                    case "-h", "--help", "help" -> {
                        System.out.print(USAGE);
                        return 0;
                    }
                    default -> {
                        if (command != null && PART_COMMANDS.contains(command) && partName == null && !arg.startsWith("-")) {
                            partName = arg;
                            continue;
                        }
                        if (arg.startsWith("-") || command != null) {
                            throw new IllegalArgumentException("unexpected argument: " + arg);
                        }
                        command = arg;
                    }
                }
            }
            if (command == null) {
                throw new IllegalArgumentException("no command given");
            }
            if ((command.equals("ensure") || command.equals("release")) && ownerPid == null) {
                throw new IllegalArgumentException(command + " needs --owner-pid PID (or --owner-parent)");
            }
            if (PART_COMMANDS.contains(command) && partName == null) {
                throw new IllegalArgumentException(command + " needs the name of a part, e.g. " + command + " kafka");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("stack: " + e.getMessage());
            System.err.print(USAGE);
            return 2;
        }

        StackLayout layout = localDir == null ? StackLayout.of(root, cluster) : new StackLayout(root, localDir);
        LocalStack stack;
        try {
            stack = new LocalStack(layout, StackSettings.load(), topology(layout, command, cluster), System.out);
        } catch (StackException e) {
            System.err.println("stack " + command + " FAILED: " + e.getMessage());
            return 1;
        }
        try {
            switch (command) {
                case "up" -> stack.up(withServices);
                case "down" -> stack.down();
                case "status" -> stack.status();
                case "ensure" -> stack.ensure(Owner.of(ownerPid));
                case "release" -> stack.release(ownerPid);
                case "stop" -> stack.stopPart(partName);
                case "start" -> stack.startPart(partName);
                case "freeze" -> stack.signal(partName, true);
                case "thaw" -> stack.signal(partName, false);
                default -> {
                    System.err.println("stack: unknown command " + command);
                    System.err.print(USAGE);
                    return 2;
                }
            }
            return 0;
        } catch (StackException e) {
            System.out.flush();
            System.err.println("stack " + command + " FAILED: " + e.getMessage());
            return 1;
        }
    }

    /**
     * A directory runs one topology for its lifetime: the single node's data (one token, one copy)
     * cannot become a cluster's, so `--cluster` on a single stack's directory is refused, and every
     * other command follows what the directory recorded.
     */
    static Topology topology(StackLayout layout, String command, boolean cluster) {
        Topology recorded = Topology.recorded(layout, cluster ? Topology.CLUSTER : Topology.SINGLE);
        boolean starts = command.equals("up") || command.equals("ensure");
        if (starts && cluster && !recorded.cluster()) {
            throw new StackException(layout.display(layout.localDir()) + " holds a single-node stack; a cluster needs "
                    + "a directory of its own (unset TIDEMARK_LOCAL_DIR, or point it elsewhere)");
        }
        return recorded;
    }

    private static String value(List<String> rest, String option) {
        if (rest.isEmpty()) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return rest.remove(0);
    }

    private static long parsePid(String text) {
        return PidFile.parse(text).orElseThrow(() -> new IllegalArgumentException("not a process id: " + text));
    }
}
