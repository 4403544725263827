package io.tidemark.ingest.mqtt;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.tidemark.ingest.config.MqttConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.impl.NetSocketInternal;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * One MQTT 3.1.1 connection to the broker, for a subscriber that acknowledges each message itself: CONNECT,
 * SUBSCRIBE, PUBACK, the keep-alive's pings and DISCONNECT, over a Vert.x socket with Netty's MQTT codec.
 *
 * <p>Vert.x's MQTT client takes the same steps, but its decoder refuses a message over its size limit and
 * then the connection; the broker sends such a message first again after every reconnect, so one device
 * could stop every device's messages. Here {@link PublishFramer} reads past it, and the connection hands it
 * on as an {@link OversizedPublish} to be acknowledged and counted.
 *
 * <p>The socket's handlers run on its event loop; {@link #acknowledge} and {@link #disconnect} may be called
 * from any thread.
 */
final class BrokerConnection {

    /** What the connection hands on; called on the socket's event loop. */
    interface Listener {
        void published(BrokerConnection from, DeviceMessage message);

        void oversized(BrokerConnection from, OversizedPublish message);

        /** A connection that was accepted by the broker closed, by either side. Called once. */
        void closed(BrokerConnection from);
    }

    private static final Logger LOG = Logger.getLogger(BrokerConnection.class);
    /** The name Vert.x gives its own handler at the end of a socket's pipeline. */
    private static final String VERTX_HANDLER = "handler";
    private static final int SUBSCRIBE_PACKET_ID = 1;

    private final Vertx vertx;
    private final NetClient client;
    private final MqttConfig config;
    private final int maxMessageBytes;
    private final Listener listener;
    private final Promise<Boolean> connack = Promise.promise();
    /** The answer to the subscription asked last. */
    private volatile Promise<List<Integer>> suback = Promise.promise();

    private volatile NetSocketInternal socket;
    private volatile boolean accepted;
    private volatile boolean closing;
    private long keepAliveTimer = -1;
    private boolean pingOutstanding;

    /** @param maxMessageBytes the largest message read; a PUBLISH over it is read past */
    BrokerConnection(Vertx vertx, NetClient client, MqttConfig config, int maxMessageBytes, Listener listener) {
        this.vertx = vertx;
        this.client = client;
        this.config = config;
        this.maxMessageBytes = maxMessageBytes;
        this.listener = listener;
    }

    /** Connects and sends CONNECT; completes with the broker's session-present flag once it accepted. */
    Future<Boolean> open() {
        return client.connect(config.port(), config.host(), serverName(config.host())).compose(connected -> {
            NetSocketInternal opened = (NetSocketInternal) connected;
            socket = opened;
            if (closing) {
                return opened.close().transform(done -> Future.<Boolean>failedFuture("disconnected before the broker answered"));
            }
            ChannelPipeline pipeline = opened.channelHandlerContext().pipeline();
            pipeline.addBefore(VERTX_HANDLER, "mqttEncoder", MqttEncoder.INSTANCE);
            pipeline.addBefore(VERTX_HANDLER, "publishFramer", new PublishFramer(maxMessageBytes));
            pipeline.addBefore(VERTX_HANDLER, "mqttDecoder", new MqttDecoder(maxMessageBytes));
            opened.messageHandler(this::received);
            opened.exceptionHandler(failure -> {
                LOG.warnf("MQTT connection to %s:%d failed: %s", config.host(), config.port(), failure.toString());
                opened.close();
            });
            opened.closeHandler(v -> closed());
            MqttMessageBuilders.ConnectBuilder connect = MqttMessageBuilders.connect()
                    .protocolVersion(MqttVersion.MQTT_3_1_1)
                    .clientId(config.clientId())
                    .cleanSession(false)
                    .keepAlive((int) config.keepAlive().toSeconds());
            config.username().ifPresent(user -> connect.hasUser(true).username(user));
            config.password().ifPresent(password -> connect.hasPassword(true)
                    .password(password.getBytes(StandardCharsets.UTF_8)));
            opened.writeMessage(connect.build());
            Duration answer = config.keepAlive().isZero() ? config.reconnectDelay() : config.keepAlive();
            long timer = vertx.setTimer(Math.max(1, answer.toMillis()), id -> {
                if (connack.tryFail("no CONNACK from the broker within " + answer)) {
                    opened.close();
                }
            });
            return connack.future().onComplete(done -> vertx.cancelTimer(timer));
        });
    }

    /**
     * Subscribes to one topic filter; completes with the broker's granted levels (0x80: refused). Asked again only
     * once the broker answered: the packet id is free again then, as ingest sends no other packet that takes one.
     */
    Future<List<Integer>> subscribe(String filter, MqttQoS qos) {
        Promise<List<Integer>> answer = Promise.promise();
        suback = answer;
        write(MqttMessageBuilders.subscribe().messageId(SUBSCRIBE_PACKET_ID).addSubscription(qos, filter).build());
        return answer.future();
    }

    /** Sends PUBACK for a QoS 1 message received on this connection; nothing once it closed. */
    void acknowledge(int packetId) {
        if (isOpen()) {
            write(MqttMessageBuilders.pubAck().packetId(packetId).build());
        }
    }

    /** Accepted by the broker and not closed since. */
    boolean isOpen() {
        return accepted && !closing;
    }

    /** Sends DISCONNECT and closes, leaving the broker the session. */
    Future<Void> disconnect() {
        closing = true;
        NetSocketInternal current = socket;
        if (current == null) {
            return Future.succeededFuture();
        }
        return current.writeMessage(bare(MqttMessageType.DISCONNECT)).transform(written -> current.close());
    }

    private void received(Object message) {
        try {
            if (message instanceof OversizedPublish oversized) {
                listener.oversized(this, oversized);
            } else if (message instanceof MqttMessage mqtt) {
                if (mqtt.decoderResult().isFailure()) {
                    LOG.errorf(mqtt.decoderResult().cause(), "unreadable MQTT message from %s:%d: closing the connection",
                            config.host(), config.port());
                    socket.close();
                    return;
                }
                switch (mqtt.fixedHeader().messageType()) {
                    case CONNACK -> connacked((MqttConnAckMessage) mqtt);
                    case SUBACK -> suback.tryComplete(((MqttSubAckMessage) mqtt).payload().grantedQoSLevels());
                    case PUBLISH -> published((MqttPublishMessage) mqtt);
                    case PINGRESP -> pingOutstanding = false;
                    default -> LOG.debugf("MQTT %s from the broker ignored", mqtt.fixedHeader().messageType());
                }
            }
        } finally {
            ReferenceCountUtil.release(message);
        }
    }

    private void connacked(MqttConnAckMessage message) {
        MqttConnectReturnCode code = message.variableHeader().connectReturnCode();
        if (code != MqttConnectReturnCode.CONNECTION_ACCEPTED) {
            if (connack.tryFail("the broker refused the connection: " + code)) {
                socket.close();
            }
            return;
        }
        accepted = true;
        if (!config.keepAlive().isZero()) {
            keepAliveTimer = vertx.setPeriodic(config.keepAlive().toMillis(), id -> ping());
        }
        connack.tryComplete(message.variableHeader().isSessionPresent());
    }

    private void published(MqttPublishMessage message) {
        if (!accepted) {
            return;
        }
        listener.published(this, new DeviceMessage(message.variableHeader().topicName(),
                ByteBufUtil.getBytes(message.payload()), message.fixedHeader().qosLevel(),
                message.variableHeader().packetId()));
    }

    /** Once a keep-alive: a ping not answered by the next one means the broker or the path is gone. */
    private void ping() {
        if (pingOutstanding) {
            LOG.warnf("no PINGRESP from MQTT broker %s:%d within %s: closing the connection", config.host(),
                    config.port(), config.keepAlive());
            socket.close();
            return;
        }
        pingOutstanding = true;
        write(bare(MqttMessageType.PINGREQ));
    }

    private void write(MqttMessage message) {
        NetSocketInternal current = socket;
        if (current != null) {
            current.writeMessage(message);
        }
    }

    private void closed() {
        if (keepAliveTimer >= 0) {
            vertx.cancelTimer(keepAliveTimer);
        }
        boolean wasAccepted = accepted;
        accepted = false;
        connack.tryFail("the connection closed before the broker accepted it");
        suback.tryFail("the connection closed before the broker answered the subscription");
        if (wasAccepted) {
            listener.closed(this);
        }
    }

    /**
     * The name a TLS connection asks for (SNI), which brokers behind one address for many tenants need; TLS
     * allows no address there, and a broker reached by address is verified against its certificate's
     * addresses. A plain connection ignores it.
     */
    private static String serverName(String host) {
        return NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host) ? null : host;
    }

    private static MqttMessage bare(MqttMessageType type) {
        return new MqttMessage(new MqttFixedHeader(type, false, MqttQoS.AT_MOST_ONCE, false, 0));
    }
}
