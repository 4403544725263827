package io.tidemark.ingest.mqtt;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.tls.CertificateUpdatedEvent;
import io.quarkus.tls.TlsConfigurationRegistry;
import io.smallrye.mutiny.Uni;
import io.tidemark.ingest.config.IngestConfig;
import io.tidemark.ingest.config.MqttConfig;
import io.tidemark.ingest.service.DeviceEventCollector;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Subscribes ingest to the devices' topic on an MQTT broker and acknowledges (PUBACK) a QoS 1 message
 * only once Kafka acknowledged its events, so that at-least-once holds from the device to Kafka.
 *
 * <p>The connection is ingest's own ({@link BrokerConnection}): the messaging MQTT connector acknowledges
 * on arrival, before its message reaches any code, and Vert.x's MQTT client cannot read past a message
 * over its size limit. The session is persistent (clean session off, a stable client id), so that the
 * broker keeps what arrives while ingest is away and sends again, after a reconnect, every message
 * ingest never acknowledged. A message whose events Kafka does not take is tried again here after
 * {@code retry-delay}, still unacknowledged; the broker's in-flight window then stops sending more,
 * which is the back-pressure devices see. That window does not count QoS 0 messages, which the broker
 * never sends again: those are held for another try only up to {@code max-held-qos0-bytes}, and
 * dropped past it.
 */
@ApplicationScoped
public class MqttDeviceSubscriber {

    private static final Logger LOG = Logger.getLogger(MqttDeviceSubscriber.class);
    /** Room for an MQTT fixed and variable header (topic name) above the largest accepted payload. */
    private static final int HEADER_ALLOWANCE = 65_536;
    private static final int SUBSCRIPTION_REFUSED = 0x80;
    private static final int MAX_PUBLISH_BYTES = 268_435_455;

    private final Vertx vertx;
    private final MqttConfig config;
    private final IngestConfig ingest;
    private final DeviceEventCollector collector;
    private final DeviceTopic topic;
    private final Counter connectionsLost;
    private final NetClient network;
    private final BrokerConnection.Listener listener = new BrokerConnection.Listener() {
        @Override
        public void published(BrokerConnection from, DeviceMessage message) {
            received(from, message);
        }

        @Override
        public void oversized(BrokerConnection from, OversizedPublish message) {
            readPast(from, message);
        }

        @Override
        public void closed(BrokerConnection from) {
            LOG.infof("MQTT connection to %s:%d closed", config.host(), config.port());
            if (isCurrent(from)) {
                connectionsLost.increment();
            }
            reconnectLater(from);
        }
    };

    private boolean running;
    private BrokerConnection client;
    private volatile boolean subscribed;
    /** Subscriptions refused since the last one granted. */
    private final AtomicInteger refusals = new AtomicInteger();
    /** Payload bytes of QoS 0 messages waiting for another try. */
    private final AtomicLong heldQos0Bytes = new AtomicLong();

    public MqttDeviceSubscriber(Vertx vertx, MqttConfig config, IngestConfig ingest, DeviceEventCollector collector,
            MeterRegistry metrics, TlsConfigurationRegistry tls) {
        this.vertx = vertx;
        this.config = config;
        this.ingest = ingest;
        this.collector = collector;
        // Each loss sends what was in flight again after the reconnect: a count that rises means copies for
        // dedup and a stalled window for devices.
        this.connectionsLost = Counter.builder("tidemark.ingest.mqtt.connections.lost")
                .description("Connections to the MQTT broker closed while ingest ran (not by its own stop)")
                .register(metrics);
        this.topic = new DeviceTopic(config.topic());
        this.network = vertx.createNetClient(BrokerSocketOptions.of(config, tls));
    }

    void onStart(@Observes StartupEvent event) {
        if (config.enabled()) {
            start();
        } else {
            LOG.debug("MQTT collection is off (tidemark.ingest.mqtt.enabled=false)");
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        stop().await().atMost(ingest.ackTimeout());
    }

    /**
     * A TLS configuration reloaded from its files ({@code quarkus.tls.<name>.reload-period}, e.g. after
     * cert-manager renewed them) serves every connection from the next one on; the open one keeps its session.
     * Without this, a renewed client certificate would reach the broker only after a restart, and one that
     * expired would keep ingest out at its next reconnect.
     */
    void onCertificateUpdate(@Observes CertificateUpdatedEvent updated) {
        if (config.tlsConfigurationName().filter(updated.name()::equals).isEmpty()) {
            return;
        }
        // The registry reloads every period, changed or not; Vert.x compares what it read with what it has.
        network.updateSSLOptions(updated.tlsConfiguration().getSSLOptions(), false)
                .onSuccess(changed -> {
                    if (changed) {
                        LOG.infof("MQTT: TLS configuration %s changed; the next broker connection uses it", updated.name());
                    }
                })
                .onFailure(failure -> LOG.errorf(failure, "MQTT: TLS configuration %s reloaded but not usable; "
                        + "the broker connection keeps the one before", updated.name()));
    }

    /** Connects and subscribes, and keeps reconnecting until {@link #stop()}. */
    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        connect();
    }

    /**
     * Disconnects, leaving the broker the session: what is not acknowledged yet is sent again on the
     * next start, of this process or of the next one with the same client id.
     */
    public synchronized Uni<Void> stop() {
        running = false;
        subscribed = false;
        BrokerConnection current = client;
        client = null;
        if (current == null) {
            return Uni.createFrom().voidItem();
        }
        return Uni.createFrom().completionStage(() -> current.disconnect().toCompletionStage())
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    /** Connected to the broker and subscribed to the devices' topic. */
    public boolean subscribed() {
        return subscribed;
    }

    private synchronized void connect() {
        if (!running) {
            return;
        }
        BrokerConnection next = new BrokerConnection(vertx, network, config, maxMessageBytes(), listener);
        client = next;
        String subscription = topic.subscription(config.sharedGroup());
        next.open()
                .compose(sessionPresent -> {
                    LOG.debugf("MQTT connected, session present: %s", sessionPresent);
                    // Subscribing again on a present session is harmless and covers a broker that lost it.
                    return next.subscribe(subscription, MqttQoS.AT_LEAST_ONCE);
                })
                .onSuccess(granted -> answered(next, subscription, granted))
                .onFailure(failure -> {
                    // Unreachable, silent, or refusing the credentials: the message says which.
                    LOG.warnf("MQTT connection to %s:%d not made: %s; trying again in %s", config.host(), config.port(),
                            failure.getMessage(), config.reconnectDelay());
                    reconnectLater(next);
                });
    }

    /**
     * A broker that refuses the subscription (its access rules) keeps the connection open, and most never tell a
     * client when the rules change: ask again on that connection every reconnect delay, so that a fix of the rules
     * reaches ingest without a restart. Said once as an error, not at every try.
     */
    private void answered(BrokerConnection connection, String subscription, List<Integer> granted) {
        if (granted.stream().anyMatch(qos -> qos == SUBSCRIPTION_REFUSED)) {
            if (refusals.getAndIncrement() == 0) {
                LOG.errorf("MQTT broker refused the subscription to %s; asking again every %s until it grants it",
                        subscription, config.reconnectDelay());
            }
            // A connection that closes meanwhile fails the answer; its listener connects and subscribes anew.
            afterReconnectDelay(() -> {
                if (isCurrent(connection)) {
                    connection.subscribe(subscription, MqttQoS.AT_LEAST_ONCE)
                            .onSuccess(again -> answered(connection, subscription, again));
                }
            });
            return;
        }
        subscribed = isCurrent(connection);
        int refusedBefore = refusals.getAndSet(0);
        LOG.infof("MQTT subscribed to %s at %s:%d as %s (QoS %s)%s", subscription, config.host(), config.port(),
                config.clientId(), granted, refusedBefore == 0 ? "" : " after " + refusedBefore + " refusals");
    }

    /**
     * Far above the request limit, so that a message a little over it is still read, and acknowledged and
     * counted as too large by DeviceEventCollector; a message over this is read past unread (PublishFramer).
     */
    private int maxMessageBytes() {
        long aboveTheRequestLimit = (long) ingest.maxRequestBytes() + HEADER_ALLOWANCE;
        return (int) Math.min(MAX_PUBLISH_BYTES, Math.max(config.maxMessageBytes(), aboveTheRequestLimit));
    }

    /** Takes room for a QoS 0 message to be tried again; false when ingest holds its limit of them already. */
    private boolean hold(int bytes) {
        long limit = config.maxHeldQos0Bytes();
        while (true) {
            long now = heldQos0Bytes.get();
            if (now + bytes > limit) {
                return false;
            }
            if (heldQos0Bytes.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Payload bytes of QoS 0 messages held for another try now. */
    public long heldQos0Bytes() {
        return heldQos0Bytes.get();
    }

    private synchronized boolean isCurrent(BrokerConnection candidate) {
        return running && client == candidate;
    }

    private synchronized void reconnectLater(BrokerConnection failed) {
        if (!isCurrent(failed)) {
            return;
        }
        client = null;
        subscribed = false;
        failed.disconnect();
        afterReconnectDelay(this::connect);
    }

    private void afterReconnectDelay(Runnable then) {
        vertx.setTimer(Math.max(1, config.reconnectDelay().toMillis()), timer -> then.run());
    }

    private void received(BrokerConnection from, DeviceMessage message) {
        process(from, message, topic.writeKey(message.topic()), vertx.getOrCreateContext(), 1);
    }

    /** A message over {@link #maxMessageBytes()}: never read, so it is counted and, at QoS 1, acknowledged. */
    private void readPast(BrokerConnection from, OversizedPublish message) {
        collector.unread(topic.writeKey(message.topic()), message.remainingLength(), maxMessageBytes());
        if (message.qos() != MqttQoS.AT_MOST_ONCE) {
            from.acknowledge(message.packetId());
        }
    }

    /**
     * One try of a message. Tries are counted per delivery: after a reconnect the broker delivers the
     * message again and counting starts over, so a message that always fails is parked once per delivery.
     */
    private void process(BrokerConnection from, DeviceMessage message, Optional<String> writeKey, Context context,
            int attempt) {
        collector.collect(writeKey, message.payload(), attempt).subscribe().with(
                outcome -> context.runOnContext(v -> settle(from, message, writeKey, context, attempt, outcome)),
                failure -> context.runOnContext(v -> settle(from, message, writeKey, context, attempt,
                        DeviceEventCollector.Outcome.RETRY)));
    }

    private void settle(BrokerConnection from, DeviceMessage message, Optional<String> writeKey, Context context,
            int attempt, DeviceEventCollector.Outcome outcome) {
        byte[] payload = message.payload();
        boolean qos0 = message.qos() == MqttQoS.AT_MOST_ONCE;
        // A QoS 0 message is held from its first retry to its last try.
        boolean held = qos0 && attempt > 1;
        if (outcome == DeviceEventCollector.Outcome.RETRY) {
            if (qos0 && !held && !hold(payload.length)) {
                collector.dropped(writeKey, payload);
                return;
            }
            Duration delay = config.retryDelay();
            vertx.setTimer(Math.max(1, delay.toMillis()), timer -> {
                // After a reconnect the broker sends the message again itself; trying it here too would only copy it.
                if (isCurrent(from) && from.isOpen()) {
                    process(from, message, writeKey, context, attempt + 1);
                } else if (qos0) {
                    // Never sent again by the broker: gone with the connection.
                    heldQos0Bytes.addAndGet(-payload.length);
                    collector.dropped(writeKey, payload);
                }
            });
            return;
        }
        if (held) {
            heldQos0Bytes.addAndGet(-payload.length);
        }
        if (!qos0) {
            // Acknowledged on the connection it came on; if that one is gone, the broker sends it again and
            // dedup-service drops the copy by messageId.
            from.acknowledge(message.packetId());
        }
    }
}
