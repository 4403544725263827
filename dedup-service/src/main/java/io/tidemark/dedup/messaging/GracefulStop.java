package io.tidemark.dedup.messaging;

import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConsumer;
import io.smallrye.reactive.messaging.kafka.KafkaConnector;
import io.tidemark.dedup.config.DedupConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.reactive.messaging.spi.Connector;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * records as still in processing although they were stored. The commit is ours too ({@link #commitTaken}):
 * the connector's commit as it closes each consumer can fail on the rebalance the first one's leaving starts.
 */
@ApplicationScoped
public class GracefulStop {

    private static final Logger LOG = Logger.getLogger(GracefulStop.class);
    private static final Duration PAUSE_PATIENCE = Duration.ofSeconds(2);
    private static final Duration COMMIT_PATIENCE = Duration.ofSeconds(2);
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
        for (var consumer : rawConsumers()) {
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
                commitTaken(deadline);
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

    /**
     * Commits what every raw consumer took, while all of them are still in the group. The connector
     * commits again as it closes each consumer, but one after another: the first to leave starts a
     * rebalance, and a consumer that meets it before its own close commit fails that commit (the
     * rebalance is in progress), which the connector neither retries nor logs above DEBUG. Then the
     * next owner redid records that were stored (DedupGracefulStopIT: 3,542 of 4,000 committed, once, on
     * a loaded machine). Each commit runs on its consumer's polling thread, where the assignment it
     * reads cannot change before the commit; its calls get the time left, not the client's 60 s default.
     */
    private void commitTaken(long deadline) {
        int partitions = 0;
        for (var consumer : rawConsumers()) {
            Duration patience = Duration.ofNanos(Math.max(deadline - System.nanoTime(), COMMIT_PATIENCE.toNanos()));
            try {
                partitions += consumer.runOnPollingThread(kafkaConsumer -> {
                    var offsets = raw.takenOffsets(kafkaConsumer.assignment());
                    // Never backwards. What was taken of a partition is forgotten when it is revoked, so one
                    // got back is counted from its committed offset; this is the guard should that ever slip.
                    kafkaConsumer.committed(offsets.keySet(), patience).forEach((partition, committed) -> {
                        if (committed != null && committed.offset() >= offsets.get(partition).offset()) {
                            offsets.remove(partition);
                        }
                    });
                    if (!offsets.isEmpty()) {
                        kafkaConsumer.commitSync(offsets, patience);
                    }
                    return offsets.size();
                }).await().atMost(patience);
            } catch (RuntimeException e) {
                LOG.warnf("could not commit a raw consumer's offsets before closing it; the connector's commit at its"
                        + " close follows: %s", e.toString());
            }
        }
        LOG.infof("raw offsets of %d partitions committed before the consumers close", partitions);
    }

    /**
     * The raw channel's consumers. With {@code concurrency} the connector names its channels
     * {@code events-raw$1} ... {@code events-raw$n}, and {@code getConsumers} matches a name exactly, so
     * asking for {@code events-raw} alone returned none: nothing was paused or committed here.
     */
    private List<KafkaConsumer<Object, Object>> rawConsumers() {
        List<KafkaConsumer<Object, Object>> consumers = new ArrayList<>();
        for (String channel : kafka.getConsumerChannels()) {
            if (channel.equals(RawEventConsumer.CHANNEL) || channel.startsWith(RawEventConsumer.CHANNEL + "$")) {
                consumers.addAll(kafka.<Object, Object>getConsumers(channel));
            }
        }
        return consumers;
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
        for (var consumer : rawConsumers()) {
            try {
                consumer.pause().subscribe().with(paused -> { }, closed -> { });
            } catch (RuntimeException closed) {
                // closed between the listing and the call: nothing left to pause
            }
        }
    }
}
