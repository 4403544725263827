package io.tidemark.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;

import java.net.InetSocketAddress;
import java.time.Duration;

/** The harness's own driver sessions against the stack's one Cassandra node ({@code host:port}, {@code datacenter1}). */
public final class CassandraSessions {

    private CassandraSessions() {
    }

    /** With the driver's default request timeout (2 s), as a plain client program runs: the baselines. */
    public static CqlSession open(String contact) {
        return builder(contact).build();
    }

    /**
     * With a longer request timeout, for the harness's loads and counts: on the busy shared machine the
     * default fails them, and waiting longer changes no figure that a baseline or a service sets.
     */
    public static CqlSession open(String contact, Duration requestTimeout) {
        return builder(contact).withConfigLoader(DriverConfigLoader.programmaticBuilder()
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, requestTimeout).build()).build();
    }

    private static CqlSessionBuilder builder(String contact) {
        int colon = contact.lastIndexOf(':');
        return CqlSession.builder()
                .addContactPoint(new InetSocketAddress(contact.substring(0, colon), Integer.parseInt(contact.substring(colon + 1))))
                .withLocalDatacenter("datacenter1");
    }
}
