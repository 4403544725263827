package io.tidemark.schema;

import com.datastax.oss.driver.api.core.DriverException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The schema Job's entry point: applies the migrations to the cluster named by the environment and
 * exits 0, or exits 1 naming what failed (the Job retries with back-off while Cassandra starts),
 * or 2 naming the setting that is missing or wrong.
 */
public final class SchemaMain {

    static final String CONTACT_POINTS = "TIDEMARK_SCHEMA_CONTACT_POINTS";
    static final String LOCAL_DATACENTER = "TIDEMARK_SCHEMA_LOCAL_DATACENTER";
    static final String KEYSPACE = "TIDEMARK_SCHEMA_KEYSPACE";
    static final String REPLICATION = "TIDEMARK_SCHEMA_REPLICATION";
    static final String REQUEST_TIMEOUT = "TIDEMARK_SCHEMA_REQUEST_TIMEOUT_SECONDS";
    static final String USERNAME = "TIDEMARK_SCHEMA_USERNAME";
    static final String PASSWORD = "TIDEMARK_SCHEMA_PASSWORD";

    private static final int DEFAULT_CQL_PORT = 9042;

    private SchemaMain() {
    }

    public static void main(String[] args) {
        System.exit(run(System.getenv()));
    }

    static int run(Map<String, String> env) {
        CassandraTarget target;
        String keyspace;
        Replication replication;
        try {
            target = target(env);
            keyspace = env.getOrDefault(KEYSPACE, "tidemark");
            if (!keyspace.matches("[a-zA-Z][a-zA-Z0-9_]{0,47}")) {
                throw new IllegalArgumentException(KEYSPACE + "='" + keyspace + "' is not a Cassandra keyspace name");
            }
            replication = Replication.parse(required(env, REPLICATION));
        } catch (IllegalArgumentException e) {
            System.err.println("schema: " + e.getMessage());
            return 2;
        }
        try {
            System.out.println("schema: keyspace " + keyspace + " (replication " + replication + " if created) on "
                    + target.contactPoints());
            new CassandraSchema(target).apply(keyspace, replication).forEach(line -> System.out.println("schema " + line));
            return 0;
        } catch (SchemaException | DriverException e) {
            System.err.println("schema: " + e.getMessage());
            return 1;
        }
    }

    static CassandraTarget target(Map<String, String> env) {
        List<InetSocketAddress> points = new ArrayList<>();
        for (String point : required(env, CONTACT_POINTS).split(",")) {
            points.add(address(point.trim()));
        }
        Duration timeout = Duration.ofSeconds(seconds(env.getOrDefault(REQUEST_TIMEOUT, "60")));
        Optional<CassandraTarget.Credentials> credentials = Optional.empty();
        String username = env.get(USERNAME);
        if (username != null && !username.isBlank()) {
            credentials = Optional.of(new CassandraTarget.Credentials(username, required(env, PASSWORD)));
        }
        return new CassandraTarget(points, required(env, LOCAL_DATACENTER), timeout, credentials);
    }

    private static InetSocketAddress address(String point) {
        int colon = point.lastIndexOf(':');
        String host = colon < 0 ? point : point.substring(0, colon);
        if (host.isBlank()) {
            throw new IllegalArgumentException(CONTACT_POINTS + ": '" + point + "' has no host");
        }
        int port = colon < 0 ? DEFAULT_CQL_PORT : port(point, point.substring(colon + 1));
        return InetSocketAddress.createUnresolved(host, port);
    }

    private static int port(String point, String text) {
        try {
            int port = Integer.parseInt(text);
            if (port > 0 && port < 65536) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(CONTACT_POINTS + ": '" + point + "' has no valid port");
    }

    private static long seconds(String text) {
        try {
            long seconds = Long.parseLong(text);
            if (seconds > 0) {
                return seconds;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(REQUEST_TIMEOUT + "='" + text + "' is not a whole number of seconds > 0");
    }

    private static String required(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is not set");
        }
        return value;
    }
}
