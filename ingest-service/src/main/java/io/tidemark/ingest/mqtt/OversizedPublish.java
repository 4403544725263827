package io.tidemark.ingest.mqtt;

import io.netty.handler.codec.mqtt.MqttQoS;

/**
 * A PUBLISH over the size ingest reads, read past by {@link PublishFramer}: what is left of it is what it
 * takes to acknowledge it and say whose it was.
 *
 * @param packetId -1 for QoS 0, which has none
 * @param remainingLength its size on the wire after the fixed header (topic, packet id and payload)
 */
record OversizedPublish(String topic, MqttQoS qos, int packetId, int remainingLength) {
}
