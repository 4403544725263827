package io.tidemark.local;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.cql.Row;
import io.tidemark.schema.CassandraTarget;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The node's CQL port as seen by the launcher's driver session, and the login it wants, if any. */
record CassandraEndpoint(String host, int port, String localDatacenter, Optional<CassandraTarget.Credentials> credentials) {

    String address() {
        return host + ":" + port;
    }

    CassandraTarget target(Duration requestTimeout) {
        return target(List.of(this), requestTimeout);
    }

    /** The nodes as one target: the driver reaches the cluster through whichever of them answers. */
    static CassandraTarget target(List<CassandraEndpoint> nodes, Duration requestTimeout) {
        return new CassandraTarget(nodes.stream().map(n -> new InetSocketAddress(n.host(), n.port())).toList(),
                nodes.get(0).localDatacenter(), requestTimeout, nodes.get(0).credentials());
    }

    /** A session for probes and DDL that names its tables in full: no schema or token metadata to read. */
    CqlSession connect(Duration requestTimeout) {
        return target(requestTimeout).connect("tidemark-local-stack", false);
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
