package io.tidemark.bulk.watermark;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.tidemark.bulk.config.JobConfig;
import io.tidemark.bulk.config.JobConfigException;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Each job's watermark in {@code bulk_watermarks} (cassandra-schema, owner bulk_loader): every row whose window column is
 * before it has been acknowledged by ingest. It moves by compare-and-set from the value the window
 * started at, so two runs of one job that overlap cannot move it backwards or past a gap.
 */
public final class WatermarkStore implements AutoCloseable {

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final CqlSession session;
    private final String table;

    private WatermarkStore(CqlSession session, String keyspace) {
        this.session = session;
        this.table = keyspace + ".bulk_watermarks";
    }

    public static WatermarkStore connect(JobConfig.Watermark config) {
        var builder = CqlSession.builder().withLocalDatacenter(config.localDatacenter())
                .withConfigLoader(DriverConfigLoader.programmaticBuilder()
                        .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, REQUEST_TIMEOUT).build());
        for (String point : config.contactPoints().split(",")) {
            String[] hostPort = point.trim().split(":");
            builder.addContactPoint(new InetSocketAddress(hostPort[0], hostPort.length > 1 ? Integer.parseInt(hostPort[1]) : 9042));
        }
        if (config.username() != null) {
            String password = System.getenv(config.passwordEnv());
            if (password == null) {
                throw new JobConfigException("watermark.password-env: environment variable " + config.passwordEnv()
                        + " is not set (watermark.username is " + config.username() + ")");
            }
            builder.withAuthCredentials(config.username(), password);
        }
        return new WatermarkStore(builder.build(), config.keyspace());
    }

    /** The job's watermark, read serially so a watermark just set by another run is seen. */
    public Optional<Instant> read(String job) {
        Row row = session.execute(SimpleStatement.newInstance("SELECT loaded_through FROM " + table + " WHERE job = ?", job)
                .setConsistencyLevel(ConsistencyLevel.LOCAL_SERIAL)).one();
        return Optional.ofNullable(row == null ? null : row.getInstant("loaded_through"));
    }

    /**
     * Moves the watermark from {@code expected} (empty: the job has none yet) to {@code to}; false when
     * another run moved it meanwhile, and then nothing is written.
     */
    public boolean advance(String job, Optional<Instant> expected, Instant to, long rowsAccepted) {
        SimpleStatement statement = expected.isPresent()
                ? SimpleStatement.newInstance("UPDATE " + table + " SET loaded_through = ?, updated_at = ?, "
                        + "last_window_accepted = ? WHERE job = ? IF loaded_through = ?", to, Instant.now(), rowsAccepted, job,
                        expected.get())
                : SimpleStatement.newInstance("INSERT INTO " + table + " (job, loaded_through, updated_at, "
                        + "last_window_accepted) VALUES (?, ?, ?, ?) IF NOT EXISTS", job, to, Instant.now(), rowsAccepted);
        ResultSet result = session.execute(statement.setSerialConsistencyLevel(ConsistencyLevel.LOCAL_SERIAL)
                .setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM));
        return result.wasApplied();
    }

    @Override
    public void close() {
        session.close();
    }
}
