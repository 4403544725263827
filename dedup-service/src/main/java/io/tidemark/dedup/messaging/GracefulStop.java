package io.tidemark.dedup.messaging;

import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConnector;
import io.tidemark.dedup.config.DedupConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.reactive.messaging.spi.Connector;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Drains the raw consumers on SIGTERM while Cassandra can still be written: fetching stops, the records
 * already fetched are stored and acknowledged, their offsets are committed, and only then does the
 * Cassandra session close.
 *
 * <p>Quarkus closes the Cassandra session in a shutdown task, and the Kafka connector stops its
 * consumers later, when the application's beans are destroyed. Left in that order, a batch still
 * being written when a pod was told to stop met a closed session, retried until the process was
 * gone and was never acknowledged: each rolling update left the next instance the last seconds'
 * records to redo. So the drain runs here, on the {@link ShutdownEvent} Quarkus fires before its
 * shutdown tasks, and ends by stopping the connector; when the beans are destroyed the connector
 * stops again and finds its consumers closed.
 *
 * <p>The drain is ours, not the connector's ({@code graceful-shutdown=false}): the connector waits for
 * a consumer's records to be acknowledged by watching a count that only its periodic commit (every
 * {@code auto.commit.interval.ms}) brings down, and it waits at most that long. Whether it saw its
 * records done was a race between the two timers; when the commit came late, it logged hundreds of
 * records as still in processing although they were stored. Without its wait the connector still commits
 * every acknowledged offset before it closes a consumer.
 */
@ApplicationScoped
public class GracefulStop {

    private static final Logger LOG = Logger.getLogger(GracefulStop.class);
    private static final Duration PAUSE_PATIENCE = Duration.ofSeconds(2);
    /** How often the consumers are paused again while they drain: a resumed one takes at most a poll meanwhile. */
    private static final long REPAUSE_MILLIS = 20;
    private static final long CHECK_MILLIS = 10;

    private final KafkaConnector connector;
    private final KafkaClientService kafka;
    private final RawEventConsumer raw;
    private final DedupConfig.Drain config;

    public GracefulStop(@Connector(KafkaConnector.CONNECTOR_NAME) KafkaConnector connector, KafkaClientService kafka,
            RawEventConsumer raw, DedupConfig config) {
        this.connector = connector;
        this.kafka = kafka;
        this.raw = raw;
        this.config = config.drain();
    }

    void onStop(@Observes ShutdownEvent event) throws InterruptedException {
        long started = System.nanoTime();
        long deadline = started + config.timeout().toNanos();
        for (var consumer : kafka.getConsumers(RawEventConsumer.CHANNEL)) {
            try {
                consumer.pause().await().atMost(PAUSE_PATIENCE);
            } catch (RuntimeException e) {
                LOG.warnf("could not pause a raw consumer before draining: %s", e.toString());
            }
        }
        // The pause does not hold by itself: the connector's back-pressure shares the consumer's paused flag,
        // and a consumer whose queue was full when we paused it is resumed as soon as that queue drains. So
        // it is paused again until the end; what it fetches meanwhile is at most a poll.
        ScheduledExecutorService repause = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "raw-drain-pause");
            thread.setDaemon(true);
            return thread;
        });
        repause.scheduleWithFixedDelay(this::pauseAgain, REPAUSE_MILLIS, REPAUSE_MILLIS, TimeUnit.MILLISECONDS);
        try {
            // What was fetched before the pause is taken and stored; then nothing more is taken, and what was
            // being offered at that moment is stored too. The connector may hand over more later (a consumer
            // that leaves the group passes its partitions to the others): that is left for the next owner.
            boolean drained = awaitDrained(config.quietPeriod(), deadline);
            raw.stopTaking();
            drained = awaitDrained(Duration.ZERO, deadline) && drained;
            long drainedAt = System.nanoTime();
            if (drained) {
                LOG.infof("raw records taken before the stop stored and acknowledged in %d ms",
                        (drainedAt - started) / 1_000_000);
            } else {
                LOG.warnf("raw records taken before the stop not all stored after %s: the rest is delivered again"
                        + " to the partitions' next owner", config.timeout());
            }
            connector.terminate(event);
            LOG.infof("raw consumers committed and closed in %d ms; the Cassandra session closes next",
                    (System.nanoTime() - drainedAt) / 1_000_000);
        } finally {
            repause.shutdownNow();
        }
    }

    private boolean awaitDrained(Duration quiet, long deadline) throws InterruptedException {
        while (!raw.drained(quiet)) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.sleep(CHECK_MILLIS);
        }
        return true;
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
