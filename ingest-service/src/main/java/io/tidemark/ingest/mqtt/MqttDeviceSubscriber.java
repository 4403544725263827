package io.tidemark.ingest.mqtt;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.tidemark.ingest.config.IngestConfig;
import io.tidemark.ingest.config.MqttConfig;
import io.tidemark.ingest.service.DeviceEventCollector;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;
import io.vertx.mqtt.messages.MqttPublishMessage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Subscribes ingest to the devices' topic on an MQTT broker and acknowledges (PUBACK) a QoS 1 message
 * only once Kafka acknowledged its events, so that at-least-once holds from the device to Kafka.
 *
 * <p>The Vert.x client is used directly, with automatic acknowledgement off: the messaging MQTT
 * connector acknowledges on arrival, before its message reaches any code. The session is persistent
 * (clean session off, a stable client id), so that the broker keeps what arrives while ingest is away
 * and sends again, after a reconnect, every message ingest never acknowledged. A message whose events
 * Kafka does not take is tried again here after {@code retry-delay}, still unacknowledged; the
 * broker's in-flight window then stops sending more, which is the back-pressure devices see. That
 * window does not count QoS 0 messages, which the broker never sends again: those are held for another
 * try only up to {@code max-held-qos0-bytes}, and dropped past it.
 */
@ApplicationScoped
public class MqttDeviceSubscriber {

    private static final Logger LOG = Logger.getLogger(MqttDeviceSubscriber.class);
    /** Room for an MQTT fixed and variable header (topic name) above the largest accepted payload. */
    private static final int HEADER_ALLOWANCE = 65_536;
    private static final int SUBSCRIPTION_REFUSED = 0x80;

    private final Vertx vertx;
    private final MqttConfig config;
    private final IngestConfig ingest;
    private final DeviceEventCollector collector;
    private final DeviceTopic topic;
    private final Counter connectionsLost;

    private boolean running;
    private MqttClient client;
    private volatile boolean subscribed;
    /** Payload bytes of QoS 0 messages waiting for another try. */
    private final AtomicLong heldQos0Bytes = new AtomicLong();

    public MqttDeviceSubscriber(Vertx vertx, MqttConfig config, IngestConfig ingest, DeviceEventCollector collector,
            MeterRegistry metrics) {
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
        MqttClient current = client;
        client = null;
        if (current == null || !current.isConnected()) {
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
        MqttClientOptions options = new MqttClientOptions()
                .setClientId(config.clientId())
                .setCleanSession(false)
                .setKeepAliveInterval((int) config.keepAlive().toSeconds())
                // Far above the request limit: a message over the decoder's limit closes the connection
                // unacknowledged, and the broker sends it again first on every reconnect. Under it, size is
                // judged in DeviceEventCollector, which acknowledges and drops what is too large.
                .setMaxMessageSize(Math.max(config.maxMessageBytes(), ingest.maxRequestBytes() + HEADER_ALLOWANCE));
        options.setAutoAck(false);
        config.username().ifPresent(options::setUsername);
        config.password().ifPresent(options::setPassword);
        MqttClient next = MqttClient.create(vertx, options);
        client = next;
        String subscription = topic.subscription(config.sharedGroup());
        next.publishHandler(message -> received(next, message));
        next.subscribeCompletionHandler(suback -> {
            boolean granted = suback.grantedQoSLevels().stream().noneMatch(qos -> qos == SUBSCRIPTION_REFUSED);
            subscribed = granted && isCurrent(next);
            if (granted) {
                LOG.infof("MQTT subscribed to %s at %s:%d as %s (QoS %s)", subscription, config.host(), config.port(),
                        config.clientId(), suback.grantedQoSLevels());
            } else {
                LOG.errorf("MQTT broker refused the subscription to %s", subscription);
            }
        });
        next.exceptionHandler(failure -> {
            if (failure instanceof TooLongFrameException || failure.getCause() instanceof TooLongFrameException) {
                LOG.errorf(failure, "an MQTT message over tidemark.ingest.mqtt.max-message-bytes (%d) closed the connection to "
                        + "%s:%d; the broker sends it again on every reconnect, and nothing after it is read: set the "
                        + "broker's message_size_limit to at most that, or raise the setting", config.maxMessageBytes(),
                        config.host(), config.port());
            } else {
                LOG.warnf("MQTT connection to %s:%d failed: %s", config.host(), config.port(), failure.toString());
            }
        });
        next.closeHandler(closed -> {
            LOG.infof("MQTT connection to %s:%d closed", config.host(), config.port());
            if (isCurrent(next)) {
                connectionsLost.increment();
            }
            reconnectLater(next);
        });
        next.connect(config.port(), config.host())
                .compose(connack -> {
                    LOG.debugf("MQTT connected, session present: %s", connack.isSessionPresent());
                    // Subscribing again on a present session is harmless and covers a broker that lost it.
                    return next.subscribe(subscription, MqttQoS.AT_LEAST_ONCE.value());
                })
                .onFailure(failure -> {
                    LOG.warnf("MQTT broker %s:%d not reachable: %s", config.host(), config.port(), failure.toString());
                    reconnectLater(next);
                });
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

        private synchronized boolean isCurrent(MqttClient candidate) {
        return running && client == candidate;
    }

    private synchronized void reconnectLater(MqttClient failed) {
        if (!isCurrent(failed)) {
            return;
        }
        client = null;
        subscribed = false;
        if (failed.isConnected()) {
            failed.disconnect();
        }
        vertx.setTimer(Math.max(1, config.reconnectDelay().toMillis()), timer -> connect());
    }

    private void received(MqttClient from, MqttPublishMessage message) {
        byte[] payload = message.payload().getBytes();
        Optional<String> writeKey = topic.writeKey(message.topicName());
        process(from, message, writeKey, payload, vertx.getOrCreateContext(), 1);
    }

    /**
     * One try of a message. Tries are counted per delivery: after a reconnect the broker delivers the
     * message again and counting starts over, so a message that always fails is parked once per delivery.
     */
    private void process(MqttClient from, MqttPublishMessage message, Optional<String> writeKey, byte[] payload,
            Context context, int attempt) {
        collector.collect(writeKey, payload, attempt).subscribe().with(
                outcome -> context.runOnContext(v -> settle(from, message, writeKey, payload, context, attempt, outcome)),
                failure -> context.runOnContext(v -> settle(from, message, writeKey, payload, context, attempt,
                        DeviceEventCollector.Outcome.RETRY)));
    }

    private void settle(MqttClient from, MqttPublishMessage message, Optional<String> writeKey, byte[] payload,
            Context context, int attempt, DeviceEventCollector.Outcome outcome) {
        boolean qos0 = message.qosLevel() == MqttQoS.AT_MOST_ONCE;
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
                if (isCurrent(from) && from.isConnected()) {
                    process(from, message, writeKey, payload, context, attempt + 1);
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
        if (!qos0 && from.isConnected()) {
            // Acknowledged on the connection it came on; if that one is gone, the broker sends it again and
            // dedup-service drops the copy by messageId.
            message.ack();
        }
    }
}
