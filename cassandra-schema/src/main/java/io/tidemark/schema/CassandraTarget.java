package io.tidemark.schema;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A Cassandra cluster as a short-lived administrative client sees it (the schema runner, the local stack's
 * launcher): where it is, and how long one request may take; DDL waits for schema agreement.
 */
public record CassandraTarget(List<InetSocketAddress> contactPoints, String localDatacenter, Duration requestTimeout,
        Optional<Credentials> credentials) {

    /** Plain-text authentication, for a cluster that requires it. */
    public record Credentials(String username, String password) {

        @Override
        public String toString() {
            return "Credentials[username=" + username + "]";
        }
    }

    public CassandraTarget {
        contactPoints = List.copyOf(contactPoints);
    }

    /**
     * Opens a session named {@code sessionName}. Without {@code schemaMetadata} the driver neither reads nor follows
     * the schema, which a client that only probes or names tables in full does not need.
     */
    public CqlSession connect(String sessionName, boolean schemaMetadata) {
        return connect(sessionName, schemaMetadata, List.of());
    }

    /**
     * As {@link #connect(String, boolean)} with schema metadata, kept of {@code keyspace} alone: the driver re-reads
     * the schema after every DDL, by default that of every keyspace, the system ones' hundred-odd tables included.
     */
    public CqlSession connectFollowing(String sessionName, String keyspace) {
        return connect(sessionName, true, List.of(keyspace));
    }

    private CqlSession connect(String sessionName, boolean schemaMetadata, List<String> refreshedKeyspaces) {
        DriverConfigLoader config = DriverConfigLoader.programmaticBuilder()
                .withStringList(DefaultDriverOption.METADATA_SCHEMA_REFRESHED_KEYSPACES, refreshedKeyspaces)
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, requestTimeout)
                .withDuration(DefaultDriverOption.CONNECTION_CONNECT_TIMEOUT, requestTimeout)
                .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, requestTimeout)
                .withDuration(DefaultDriverOption.CONTROL_CONNECTION_TIMEOUT, requestTimeout)
                .withDuration(DefaultDriverOption.CONTROL_CONNECTION_AGREEMENT_TIMEOUT, requestTimeout)
                .withBoolean(DefaultDriverOption.METADATA_SCHEMA_ENABLED, schemaMetadata)
                .withBoolean(DefaultDriverOption.METADATA_TOKEN_MAP_ENABLED, schemaMetadata)
                // A DDL answer waits for the schema refresh it triggers, which the driver delays by this window
                // (1 s by default, to batch an application's bursts): a script of many DDLs would wait it each time.
                .withDuration(DefaultDriverOption.METADATA_SCHEMA_WINDOW, Duration.ofMillis(10))
                // Netty's default 2 s quiet period would add 2 s to every close().
                .withInt(DefaultDriverOption.NETTY_IO_SHUTDOWN_QUIET_PERIOD, 0)
                .withInt(DefaultDriverOption.NETTY_ADMIN_SHUTDOWN_QUIET_PERIOD, 0)
                // cassandra-migration switches its session to the keyspace (USE) by design.
                .withBoolean(DefaultDriverOption.REQUEST_WARN_IF_SET_KEYSPACE, false)
                .withString(DefaultDriverOption.SESSION_NAME, sessionName)
                .build();
        CqlSessionBuilder builder = CqlSession.builder()
                .addContactPoints(contactPoints)
                .withLocalDatacenter(localDatacenter)
                .withConfigLoader(config);
        credentials.ifPresent(c -> builder.withAuthCredentials(c.username(), c.password()));
        return builder.build();
    }
}
