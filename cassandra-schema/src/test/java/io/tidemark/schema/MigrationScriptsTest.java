package io.tidemark.schema;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.cognitor.cassandra.migration.MigrationRepository;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rules every owner's scripts keep, read as files and through cassandra-migration's own repository. */
class MigrationScriptsTest {

    private static final Path SCRIPTS = Path.of("src/main/resources");
    private static final Path ROOT = Path.of("..");
    private static final Pattern CREATE_TABLE = Pattern.compile("CREATE TABLE IF NOT EXISTS\\s+(\\w+)", Pattern.CASE_INSENSITIVE);
    private static final Pattern STATEMENT_START = Pattern.compile("^(CREATE|ALTER|DROP)\\b.*", Pattern.CASE_INSENSITIVE);
    private static final Pattern IDEMPOTENT = Pattern.compile("^(CREATE \\w+ IF NOT EXISTS|ALTER TABLE \\w+ (ADD|DROP) IF (NOT )?EXISTS"
            + "|DROP \\w+ IF EXISTS).*", Pattern.CASE_INSENSITIVE);

    @Test
    void everyOwnerNumbersItsScriptsFromOneWithoutGaps() throws IOException {
        for (SchemaOwner owner : SchemaOwner.inOrder()) {
            List<Integer> versions = new ArrayList<>();
            for (Path script : scripts(owner)) {
                String name = script.getFileName().toString();
                assertTrue(name.matches("\\d{3}_[a-z0-9_]+\\.cql"), owner.ownerName() + ": " + name + " is <NNN>_<name>.cql");
                versions.add(Integer.parseInt(name.substring(0, 3)));
            }
            assertEquals(versions.stream().map(v -> versions.indexOf(v) + 1).toList(), versions, owner.ownerName() + ": " + versions);
            // What the runner reads from the packaged classpath, not only what lies in the source tree.
            assertEquals(versions.size(), new MigrationRepository(owner.scriptPath()).getLatestVersion(), owner.ownerName());
        }
    }

    @Test
    void everyStatementIsIdempotentAndNamesNoKeyspace() throws IOException {
        for (SchemaOwner owner : SchemaOwner.inOrder()) {
            for (Path script : scripts(owner)) {
                for (String statement : statements(script)) {
                    String flat = statement.replaceAll("\\s+", " ").strip();
                    assertTrue(IDEMPOTENT.matcher(flat).matches(), script + ": not idempotent, so a run stopped halfway cannot run again: " + flat);
                    assertTrue(!flat.toLowerCase().contains("tidemark."), script + ": names a keyspace; the runner chooses it: " + flat);
                    assertTrue(!flat.toUpperCase().startsWith("CREATE KEYSPACE"), script + ": the runner creates the keyspace with the cluster's replication");
                }
            }
        }
    }

    @Test
    void everyTableHasOneOwnerAndIsReadOrWrittenByMainCode() throws IOException {
        Map<String, String> ownerOf = new HashMap<>();
        for (SchemaOwner owner : SchemaOwner.inOrder()) {
            for (Path script : scripts(owner)) {
                Matcher table = CREATE_TABLE.matcher(Files.readString(script, StandardCharsets.UTF_8));
                while (table.find()) {
                    String before = ownerOf.putIfAbsent(table.group(1), owner.ownerName());
                    assertTrue(before == null, table.group(1) + " is created by " + before + " and " + owner.ownerName());
                }
            }
        }
        String mainCode = mainCode();
        for (String table : ownerOf.keySet()) {
            // Named after a keyspace in a statement: tidemark.<table>, or <keyspace> + ".<table>" where the keyspace is configurable.
            assertTrue(mainCode.contains("." + table), table + " is used by no main code: a dead table");
        }
    }

    private static List<Path> scripts(SchemaOwner owner) throws IOException {
        try (Stream<Path> files = Files.list(SCRIPTS.resolve(owner.scriptPath()))) {
            List<Path> scripts = files.sorted().toList();
            assertTrue(!scripts.isEmpty(), owner.ownerName() + " has no scripts");
            return scripts;
        }
    }

    private static List<String> statements(Path script) throws IOException {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(script, StandardCharsets.UTF_8)) {
            if (line.strip().startsWith("--") || line.isBlank()) {
                continue;
            }
            if (current.isEmpty()) {
                assertTrue(STATEMENT_START.matcher(line.strip()).matches(), script + ": unexpected line " + line);
            }
            current.append(line).append('\n');
            if (line.strip().endsWith(";")) {
                statements.add(current.toString());
                current.setLength(0);
            }
        }
        assertTrue(current.isEmpty(), script + " ends inside a statement");
        return statements;
    }

    /** The services' and the loader's Java sources: where the tables are named in CQL. */
    private static String mainCode() throws IOException {
        StringBuilder code = new StringBuilder();
        for (String module : List.of("dedup-service", "mart-service", "bulk-loader")) {
            try (Stream<Path> files = Files.walk(ROOT.resolve(module).resolve("src/main/java"))) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    code.append(Files.readString(file, StandardCharsets.UTF_8));
                }
            }
        }
        return code.toString();
    }
}
