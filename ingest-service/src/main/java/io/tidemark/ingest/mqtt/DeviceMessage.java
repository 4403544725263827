package io.tidemark.ingest.mqtt;

import io.netty.handler.codec.mqtt.MqttQoS;

/**
 * A PUBLISH the broker delivered, its payload copied out of the connection's buffers.
 *
 * @param packetId -1 for QoS 0, which has none
 */
record DeviceMessage(String topic, byte[] payload, MqttQoS qos, int packetId) {
}
