package io.tidemark.mart.repository;

import io.quarkus.runtime.ShutdownEvent;
import io.tidemark.mart.config.MartConfig;
import io.tidemark.mart.layout.MartLayout;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.duckdb.DuckDBConnection;
import org.duckdb.DuckDBDriver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * The embedded DuckDB engine that writes the Parquet marts and answers queries over them: two
 * in-memory databases, one for the dashboard's queries and one for the exports, each with its own
 * threads and memory; each user takes its own connection. DuckDB's JDBC calls block the calling
 * thread, so callers run on worker threads, never on an event loop.
 *
 * <p>Why two: while a query's worker threads run, the calling thread waits for them by polling the
 * query's scheduler, and on few cores that costs as much CPU as the work itself (async-profiler under
 * {@code bench/run mart}: 11 % of mart's CPU, about half of what its export's COPY statements took,
 * went to that polling's locks). The exports run each statement on one thread and get their parallelism from
 * writing several slices and days at once instead; the queries keep DuckDB's own parallelism, which
 * shortens a single dashboard query.
 */
@ApplicationScoped
public class DuckDbEngine {

    private final MartConfig config;
    private final MartLayout layout;
    private DuckDBConnection database;
    private DuckDBConnection exportDatabase;

    public DuckDbEngine(MartConfig config) {
        this.config = config;
        this.layout = new MartLayout(config.export().root());
    }

    /** A new connection to the queries' database; close it after use. */
    public synchronized DuckDBConnection connect() throws SQLException {
        if (database == null) {
            database = open(config.duckdb().memoryLimit(), config.duckdb().threads(), layout.duckDbTemp());
        }
        return utc((DuckDBConnection) database.duplicate());
    }

    /** A new connection to the exports' database, whose statements each run on one thread; close it after use. */
    public synchronized DuckDBConnection connectForExport() throws SQLException {
        if (exportDatabase == null) {
            MartConfig.DuckDb.Export export = config.duckdb().export();
            exportDatabase = open(export.memoryLimit(), export.threads(), layout.duckDbExportTemp());
        }
        return utc((DuckDBConnection) exportDatabase.duplicate());
    }

    private static DuckDBConnection utc(DuckDBConnection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            // Event days are UTC days: no conversion of event_time may depend on the host's zone.
            statement.execute("SET TimeZone = 'UTC'");
        }
        return connection;
    }

    private DuckDBConnection open(String memoryLimit, int threads, Path spill) throws SQLException {
        try {
            Files.createDirectories(spill);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create DuckDB's spill directory " + spill, e);
        }
        Properties settings = new Properties();
        settings.setProperty("memory_limit", memoryLimit);
        settings.setProperty("threads", Integer.toString(threads));
        settings.setProperty("temp_directory", spill.toString());
        // Unbounded, a few large spilling queries could fill the volume the marts live on.
        settings.setProperty("max_temp_directory_size", config.duckdb().maxTempDirectorySize());
        // Extensions would be fetched from the internet on first use; everything the mart needs is built in.
        settings.setProperty("autoinstall_known_extensions", "false");
        settings.setProperty("autoload_known_extensions", "false");
        // The driver directly, not DriverManager: DriverManager hands a driver only to the class loader
        // that registered it, which a second application in one JVM (a test profile's restart) is not.
        return (DuckDBConnection) new DuckDBDriver().connect("jdbc:duckdb:", settings);
    }

    synchronized void close(@Observes ShutdownEvent event) throws SQLException {
        try (DuckDBConnection queries = database; DuckDBConnection exports = exportDatabase) {
            database = null;
            exportDatabase = null;
        }
    }
}
