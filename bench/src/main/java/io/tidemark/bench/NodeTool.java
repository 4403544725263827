package io.tidemark.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Cassandra's own nodetool, from the local stack's cassandra-all jars, against one node's local JMX port. */
public final class NodeTool {

    /** What nodetool needs of JDK 17 (a subset of the server's conf/jvm17-server.options). */
    private static final List<String> JDK17_ACCESS = List.of(
            "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-exports", "java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
            "--add-exports", "java.rmi/sun.rmi.registry=ALL-UNNAMED",
            "--add-exports", "java.rmi/sun.rmi.server=ALL-UNNAMED");

    private final Path root;
    private final int jmxPort;

    public NodeTool(Path root, int jmxPort) {
        this.root = root;
        this.jmxPort = jmxPort;
    }

    /** {@code nodetool flush <keyspace>}: memtables to SSTables, where partition sizes are measured. */
    public void flush(String keyspace) throws Exception {
        run("flush", keyspace);
    }

    /** {@code nodetool tablestats -F json <keyspace.table>}: the table's statistics. */
    public JsonNode tablestats(String keyspace, String table) throws Exception {
        String output = run("tablestats", "-F", "json", keyspace + "." + table);
        // Its client libraries log to stdout before the document.
        return new ObjectMapper().readTree(output.substring(output.indexOf('{'))).path(keyspace).path("tables").path(table);
    }

    private String run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(JDK17_ACCESS);
        command.addAll(List.of("-Xmx128m", "-cp", root.resolve("deploy/local/target/stack/cassandra-lib") + "/*",
                "org.apache.cassandra.tools.NodeTool", "-h", "127.0.0.1", "-p", Integer.toString(jmxPort)));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(2, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new IllegalStateException("nodetool " + String.join(" ", args) + " failed:\n"
                    + new String(output, StandardCharsets.UTF_8));
        }
        return new String(output, StandardCharsets.UTF_8);
    }
}
