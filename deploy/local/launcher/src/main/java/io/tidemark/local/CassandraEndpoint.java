package io.tidemark.local;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.Row;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

/** The node's CQL port as seen by the launcher's driver session. */
record CassandraEndpoint(String host, int port, String localDatacenter) {

    String address() {
        return host + ":" + port;
    }

    CqlSession connect(Duration requestTimeout) {
        DriverConfigLoader config = DriverConfigLoader.programmaticBuilder()
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, requestTimeout)
                .withDuration(DefaultDriverOption.CONNECTION_CONNECT_TIMEOUT, requestTimeout)
                .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, requestTimeout)
                .withDuration(DefaultDriverOption.CONTROL_CONNECTION_TIMEOUT, requestTimeout)
                // The launcher runs DDL and reads system tables by name: it needs no schema or token metadata.
                .withBoolean(DefaultDriverOption.METADATA_SCHEMA_ENABLED, false)
                .withBoolean(DefaultDriverOption.METADATA_TOKEN_MAP_ENABLED, false)
                // Netty's default 2 s quiet period would make every probe's close() take 2 s.
                .withInt(DefaultDriverOption.NETTY_IO_SHUTDOWN_QUIET_PERIOD, 0)
                .withInt(DefaultDriverOption.NETTY_ADMIN_SHUTDOWN_QUIET_PERIOD, 0)
                .withString(DefaultDriverOption.SESSION_NAME, "tidemark-local-stack")
                .build();
        return CqlSession.builder()
                .addContactPoint(new InetSocketAddress(host, port))
                .withLocalDatacenter(localDatacenter)
                .withConfigLoader(config)
                .build();
    }

    /** Ready means a session connects and system.local answers with the release version. */
    Optional<String> releaseVersion(Duration timeout) {
        if (!Tcp.listening(host, port, timeout)) {
            return Optional.empty();
        }
        try (CqlSession session = connect(timeout)) {
            Row row = session.execute("SELECT release_version FROM system.local").one();
            return Optional.ofNullable(row).map(r -> r.getString("release_version"));
        } catch (DriverException | IllegalStateException e) {
            return Optional.empty();
        }
    }

    boolean answers(Duration timeout) {
        return releaseVersion(timeout).isPresent();
    }
}
