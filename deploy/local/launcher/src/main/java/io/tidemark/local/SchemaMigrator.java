package io.tidemark.local;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.cql.Row;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Applies the V*.cql files in version order, each once: applied versions are recorded in
 * tidemark_schema.applied with the file's checksum, so running it again changes nothing.
 */
final class SchemaMigrator {

    static final String KEYSPACE = "tidemark_schema";
    private static final String CREATE_KEYSPACE = "CREATE KEYSPACE IF NOT EXISTS " + KEYSPACE
            + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}";
    private static final String CREATE_TABLE = "CREATE TABLE IF NOT EXISTS " + KEYSPACE + ".applied ("
            + "version text PRIMARY KEY, script text, checksum text, statements int, applied_at timestamp)";

    private record Applied(String script, String checksum, Instant at) {
    }

    private final CqlSession session;

    SchemaMigrator(CqlSession session) {
        this.session = session;
    }

    static List<Migration> plan(Path cqlDir) {
        if (!Files.isDirectory(cqlDir)) {
            throw new StackException("no CQL migrations directory at " + cqlDir);
        }
        try (Stream<Path> files = Files.list(cqlDir)) {
            return Migration.plan(files.toList());
        } catch (IllegalArgumentException e) {
            throw new StackException(cqlDir + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One line per migration: applied now, or applied before (with a warning if the file changed since). */
    List<String> apply(List<Migration> plan) {
        List<String> report = new ArrayList<>();
        try {
            session.execute(CREATE_KEYSPACE);
            session.execute(CREATE_TABLE);
            Map<String, Applied> applied = applied();
            for (Migration migration : plan) {
                byte[] bytes = Files.readAllBytes(migration.file());
                String checksum = sha256(bytes);
                String script = migration.file().getFileName().toString();
                Applied before = applied.get(migration.version());
                if (before != null) {
                    report.add(before.checksum.equals(checksum)
                            ? script + ": applied " + before.at
                            : script + ": applied " + before.at + " from an older " + before.script
                              + ", WARNING: the file changed since and edits are not re-applied;"
                              + " add a new version instead (or delete .tidemark-local/data/cassandra)");
                    continue;
                }
                List<String> statements = statements(script, new String(bytes, StandardCharsets.UTF_8));
                for (String statement : statements) {
                    try {
                        session.execute(statement);
                    } catch (DriverException e) {
                        throw new StackException(script + ": " + e.getMessage() + "\n  in: " + firstLine(statement), e);
                    }
                }
                session.execute(session.prepare("INSERT INTO " + KEYSPACE
                                + ".applied (version, script, checksum, statements, applied_at) VALUES (?, ?, ?, ?, ?)")
                        .bind(migration.version(), script, checksum, statements.size(), Instant.now()));
                report.add(script + ": applied now (" + statements.size() + " statements)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (DriverException e) {
            throw new StackException("schema migration failed: " + e.getMessage(), e);
        }
        return report;
    }

    private Map<String, Applied> applied() {
        Map<String, Applied> applied = new HashMap<>();
        for (Row row : session.execute("SELECT version, script, checksum, applied_at FROM " + KEYSPACE + ".applied")) {
            applied.put(row.getString("version"),
                    new Applied(row.getString("script"), row.getString("checksum"), row.getInstant("applied_at")));
        }
        return applied;
    }

    private static List<String> statements(String script, String text) {
        try {
            return CqlScript.statements(text);
        } catch (IllegalArgumentException e) {
            throw new StackException(script + ", " + e.getMessage(), e);
        }
    }

    private static String firstLine(String statement) {
        int end = statement.indexOf('\n');
        return end < 0 ? statement : statement.substring(0, end) + " ...";
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
