package io.tidemark.local;

import java.time.Duration;
import java.util.Collection;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;

/** The broker's PLAINTEXT listener as seen by the launcher's Admin client. */
record KafkaEndpoint(String host, int port) {

    String bootstrap() {
        return host + ":" + port;
    }

    Admin admin(Duration requestTimeout) {
        return admin(bootstrap(), requestTimeout);
    }

    /** An Admin client for one broker or for a cluster ({@code host:port,host:port,...}). */
    static Admin admin(String bootstrap, Duration requestTimeout) {
        Properties config = new Properties();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "tidemark-local-stack");
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) requestTimeout.toMillis());
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) requestTimeout.toMillis());
        // While the broker starts, retry the connection often instead of backing off to a second.
        config.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, 50);
        config.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 250);
        config.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, 100);
        config.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 250);
        return Admin.create(config);
    }

    /**
     * Ready means the broker answers and the cluster metadata names at least one broker: the client
     * bootstraps from this broker alone, which serves requests only once the controller unfenced it.
     */
    boolean answers(Duration timeout) {
        if (!Tcp.listening(host, port, timeout)) {
            return false;
        }
        try (Admin admin = admin(timeout)) {
            return describesCluster(admin, timeout);
        }
    }

    /**
     * The same probe, on one Admin client for the whole wait, created at once so that its classes load
     * while the broker starts. On two cores shared with a dozen busy JVMs the launcher gets a few
     * percent of a core, and a fresh client costs most of a second of CPU before its first answer:
     * with a client per probe, a probe begun after the broker started ran out of time and the next
     * began again from nothing (held to 4% of a core, that probe answered 51 s after "Kafka Server
     * started", this one 21 s). A call that times out leaves the client's connection and metadata to
     * the next one.
     */
    Probe readinessProbe(Duration requestTimeout) {
        Admin admin = admin(requestTimeout);
        return new Probe() {
            @Override
            public boolean answers(Duration timeout) {
                return Tcp.listening(host, port, timeout) && describesCluster(admin, timeout);
            }

            @Override
            public void close() {
                admin.close(Duration.ZERO);
            }
        };
    }

    private static boolean describesCluster(Admin admin, Duration timeout) {
        try {
            Collection<Node> nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
                    .nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return !nodes.isEmpty();
        } catch (ExecutionException | TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted", e);
        }
    }
}
