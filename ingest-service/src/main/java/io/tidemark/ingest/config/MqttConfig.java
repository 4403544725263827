package io.tidemark.ingest.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/** Collection from devices over MQTT: ingest subscribes to a broker; off unless enabled. */
@ConfigMapping(prefix = "tidemark.ingest.mqtt")
public interface MqttConfig {

    /** Off by default, so that ingest runs where no broker exists; turning it on is configuration only. */
    @WithDefault("false")
    boolean enabled();

    @WithDefault("127.0.0.1")
    String host();

    @WithDefault("1883")
    int port();

    /**
     * The broker keeps this client's session (subscription and unacknowledged messages) while it is
     * away, so it must stay the same across restarts of one replica and differ between replicas.
     */
    @WithDefault("tidemark-ingest")
    String clientId();

    /** Topic filter devices publish to; its single {@code +} level is the write key. */
    @WithDefault("tidemark/+/events")
    String topic();

    /**
     * Shared-subscription group: replicas in one group split the messages instead of each storing
     * every one. Empty for a plain subscription.
     */
    Optional<String> sharedGroup();

    Optional<String> username();

    Optional<String> password();

    /**
     * The Quarkus TLS configuration ({@code quarkus.tls.<name>.*}) of the broker connection. Set, ingest
     * connects over TLS (MQTT's port 8883) with its trust store (the JVM's own if it names none), its key
     * store for a broker that asks for a client certificate, its protocols and cipher suites, and verifies the
     * broker's name against the broker's certificate unless its {@code hostname-verification-algorithm} is
     * {@code NONE}. Unset, plain TCP.
     */
    Optional<String> tlsConfigurationName();

    /** Wait before a message whose events Kafka did not take (or that hit a rate limit) is tried again. */
    @WithDefault("PT5S")
    Duration retryDelay();

    /**
     * Tries of a message that fails with an unexpected error (a bug, not Kafka or the rate limit) before
     * it is parked on the dead-letter topic and acknowledged: left unacknowledged for ever, it would be
     * retried for ever and hold a slot of the broker's in-flight window. Failures that time cures
     * (Kafka unreachable, rate limit spent) are retried without bound.
     */
    @WithDefault("5")
    int maxAttempts();

    /**
     * Payload bytes of QoS 0 messages held for another try while Kafka does not take them (or their
     * source's rate limit is spent). The broker's in-flight window bounds only QoS 1 messages, so a device
     * sending QoS 0 through a Kafka outage would otherwise fill ingest's heap; past this, such a message is
     * dropped and counted {@code dropped}, as QoS 0 allows. Devices whose every event counts send QoS 1.
     */
    @WithDefault("4194304")
    long maxHeldQos0Bytes();

    /**
     * The largest MQTT message ingest reads into memory. One over the request limit
     * ({@code tidemark.ingest.max-request-bytes}) is acknowledged and dropped, counted {@code too-large}; one
     * over this too, but it is read past as it arrives instead of being held, so a device cannot make ingest
     * hold more than this for one message. A broker's {@code message_size_limit} under it spares the network.
     */
    @WithDefault("16777216")
    int maxMessageBytes();

    /** Wait before connecting again after the broker connection failed or closed. */
    @WithDefault("PT2S")
    Duration reconnectDelay();

    @WithDefault("PT30S")
    Duration keepAlive();
}
