package io.tidemark.mart.repository;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.tidemark.mart.config.MartConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * tidemark.mart_export_leases: which mart replica exports a source now. Lightweight transactions
 * (Paxos), so of two replicas asking at once exactly one gets the source, and a TTL, so the source
 * of a replica that died mid-export passes to another once the lease runs out. Blocking calls.
 */
@ApplicationScoped
public class ExportLease {

    private static final String ACQUIRE = "INSERT INTO tidemark.mart_export_leases (source, owner, acquired_at) "
            + "VALUES (?, ?, ?) IF NOT EXISTS USING TTL ?";
    private static final String RENEW = "UPDATE tidemark.mart_export_leases USING TTL ? SET owner = ?, acquired_at = ? "
            + "WHERE source = ? IF owner = ?";
    private static final String RELEASE = "DELETE FROM tidemark.mart_export_leases WHERE source = ? IF owner = ?";

    private final QuarkusCqlSession session;
    private final ConsistencyLevel consistency;
    private final Duration ttl;
    private final String owner;

    @Inject
    public ExportLease(QuarkusCqlSession session, MartConfig config) {
        this(session, config, config.export().lease().owner().orElseGet(ExportLease::defaultOwner));
    }

    /** A lease of a named owner: tests stand for a second replica with one. */
    public ExportLease(QuarkusCqlSession session, MartConfig config, String owner) {
        this.session = session;
        this.consistency = config.cassandra().consistency();
        this.ttl = config.export().lease().ttl();
        this.owner = owner;
    }

    /** Who this process is in the lease table: the host name and a random suffix, unique per process life. */
    private static String defaultOwner() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "unknown-host";
        }
        return host + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public String owner() {
        return owner;
    }

    public Duration ttl() {
        return ttl;
    }

    /** Takes the source if no replica holds it; true when this owner now holds it. */
    public boolean acquire(String source) {
        return applied(SimpleStatement.newInstance(ACQUIRE, source, owner, Instant.now(), ttlSeconds()));
    }

    /** Extends the lease by a whole TTL; false when it ran out and is lost (or was never held). */
    public boolean renew(String source) {
        return applied(SimpleStatement.newInstance(RENEW, ttlSeconds(), owner, Instant.now(), source, owner));
    }

    /** Gives the source back at once, so another replica need not wait for the TTL. */
    public void release(String source) {
        applied(SimpleStatement.newInstance(RELEASE, source, owner));
    }

    private boolean applied(SimpleStatement statement) {
        // The commit at the mart's consistency; the Paxos round itself at LOCAL_SERIAL, within the data center.
        return session.execute(statement.setConsistencyLevel(consistency)
                .setSerialConsistencyLevel(DefaultConsistencyLevel.LOCAL_SERIAL)).wasApplied();
    }

    private int ttlSeconds() {
        return (int) Math.max(1, ttl.toSeconds());
    }
}
