package io.tidemark.dedup.messaging;

import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConnector;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.reactive.messaging.spi.Connector;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Drains the raw consumers on SIGTERM while Cassandra can still be written: the batches in flight
 * finish, are acknowledged and are committed, and only then does the Cassandra session close.
 *
 * <p>Quarkus closes the Cassandra session in a shutdown task, and the Kafka connector stops its
 * consumers later, when the application's beans are destroyed. Left in that order, a batch still
 * being written when a pod was told to stop met a closed session, retried until the process was
 * gone and was never acknowledged: each rolling update left the next instance the last seconds'
 * records to redo, and the stop waited out the connector's closing timeout once per consumer.
 *
 * <p>The connector's own graceful stop is the drain needed (pause fetching, let the last poll
 * arrive, wait up to {@code auto.commit.interval.ms} for acknowledgements, commit them, close), so
 * it is started here, on the {@link ShutdownEvent} Quarkus fires before its shutdown tasks. When the
 * beans are destroyed the connector stops again and finds its consumers and producers closed.
 */
@ApplicationScoped
public class GracefulStop {

    private static final Logger LOG = Logger.getLogger(GracefulStop.class);
    private static final Duration PAUSE_PATIENCE = Duration.ofSeconds(2);
    /** How often the consumers are paused again while they drain: a resumed one takes at most a poll meanwhile. */
    private static final long REPAUSE_MILLIS = 20;

    private final KafkaConnector connector;
    private final KafkaClientService kafka;

    public GracefulStop(@Connector(KafkaConnector.CONNECTOR_NAME) KafkaConnector connector, KafkaClientService kafka) {
        this.connector = connector;
        this.kafka = kafka;
    }

    void onStop(@Observes ShutdownEvent event) {
        long started = System.nanoTime();
        // The connector closes the consumers one after another. Paused all at once first, the later ones stop
        // taking records (and the partitions of those that already left the group) while the first ones drain.
        for (var consumer : kafka.getConsumers(RawEventConsumer.CHANNEL)) {
            try {
                consumer.pause().await().atMost(PAUSE_PATIENCE);
            } catch (RuntimeException e) {
                LOG.warnf("could not pause a raw consumer before draining: %s", e.toString());
            }
        }
        // The pause does not hold by itself: the connector's back-pressure shares the consumer's paused flag,
        // and a consumer whose queue was full when we paused it is resumed as soon as that queue drains. It
        // then fetches on at the input rate and is never empty when its turn to close comes (DedupGracefulStopIT:
        // 420-478 records still in processing at the closing timeout). So it is paused again until the end.
        ScheduledExecutorService repause = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "raw-drain-pause");
            thread.setDaemon(true);
            return thread;
        });
        repause.scheduleWithFixedDelay(this::pauseAgain, REPAUSE_MILLIS, REPAUSE_MILLIS, TimeUnit.MILLISECONDS);
        try {
            connector.terminate(event);
        } finally {
            repause.shutdownNow();
        }
        LOG.infof("raw consumers drained, committed and closed in %d ms; the Cassandra session closes next",
                (System.nanoTime() - started) / 1_000_000);
    }

    /** Asks every raw consumer still open to pause; one already closed refuses, which is fine. */
    private void pauseAgain() {
        for (var consumer : kafka.getConsumers(RawEventConsumer.CHANNEL)) {
            try {
                consumer.pause().subscribe().with(paused -> { }, closed -> { });
            } catch (RuntimeException closed) {
                // closed between the listing and the call: nothing left to pause
            }
        }
    }
}
