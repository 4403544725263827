package io.tidemark.mart.repository;

import io.quarkus.runtime.ShutdownEvent;
import io.tidemark.mart.config.MartConfig;
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
 * The embedded DuckDB engine that writes the Parquet marts and answers queries over them. One
 * in-memory database for the process; each user takes its own connection. DuckDB's JDBC calls
 * block the calling thread, so callers run on worker threads, never on an event loop.
 */
@ApplicationScoped
public class DuckDbEngine {

    private final MartConfig config;
    private DuckDBConnection database;

    public DuckDbEngine(MartConfig config) {
        this.config = config;
    }

    /** A new connection to the shared database; close it after use. */
    public synchronized DuckDBConnection connect() throws SQLException {
        if (database == null) {
            database = open();
        }
        DuckDBConnection connection = (DuckDBConnection) database.duplicate();
        try (Statement statement = connection.createStatement()) {
            // Event days are UTC days: no conversion of event_time may depend on the host's zone.
            statement.execute("SET TimeZone = 'UTC'");
        }
        return connection;
    }

    private DuckDBConnection open() throws SQLException {
        Path spill = config.export().root().resolve("_tmp");
        try {
            Files.createDirectories(spill);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create DuckDB's spill directory " + spill, e);
        }
        Properties settings = new Properties();
        settings.setProperty("memory_limit", config.duckdb().memoryLimit());
        settings.setProperty("threads", Integer.toString(config.duckdb().threads()));
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
        if (database != null) {
            database.close();
        }
    }
}
