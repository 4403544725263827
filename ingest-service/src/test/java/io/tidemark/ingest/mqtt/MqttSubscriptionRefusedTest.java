package io.tidemark.ingest.mqtt;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.tidemark.ingest.ManagementPort;
import io.tidemark.ingest.TopicTail;
import io.tidemark.ingest.config.MqttConfig;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A broker that lets devices publish but refuses ingest's subscription (SUBACK 0x80), as after a mistake in its
 * access rules: ingest says so on its wellness check and keeps asking on its connection, so that once the operator
 * fixes the rules devices' messages are stored without a restart of ingest.
 */
@QuarkusTest
@TestProfile(MqttSubscriptionRefusedTest.DevicesMayOnlyPublish.class)
class MqttSubscriptionRefusedTest {

    /** MQTT on against a private Mosquitto that refuses every subscription until told otherwise. */
    public static class DevicesMayOnlyPublish implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(MosquittoResource.class,
                    Map.of(MosquittoResource.SUBSCRIPTIONS_DENIED, "true")));
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Inject
    MqttDeviceSubscriber subscriber;

    @Inject
    MqttConfig mqtt;

    @MosquittoResource.Broker
    MosquittoBroker broker;

    @Test
    void aRefusedSubscriptionIsAskedForAgainUntilTheBrokerGrantsItAndThenDevicesMessagesAreStored() {
        await("ingest connected to the broker").atMost(WAIT)
                .until(() -> broker.logText().contains(" as " + mqtt.clientId()));
        await("the subscription stays refused").during(Duration.ofSeconds(2)).atMost(WAIT)
                .until(() -> !subscriber.subscribed());
        given().when().get(ManagementPort.url("health/well"))
                .then().statusCode(503).body("checks.find { it.name == 'mqtt-devices' }.status", equalTo("DOWN"));

        // The operator's fix, as mosquitto_ctrl sends it; Mosquitto keeps the connections open on this change.
        try (DeviceClient operator = DeviceClient.device(mqtt.port())) {
            operator.publish(MosquittoBroker.SECURITY_COMMANDS,
                    "{\"commands\":[{\"command\":\"setDefaultACLAccess\",\"acls\":[{\"acltype\":\"subscribe\",\"allow\":true}]}]}");
        }
        MqttDeviceIngestTest.awaitSubscribed(subscriber);
        given().when().get(ManagementPort.url("health/well"))
                .then().statusCode(200).body("checks.find { it.name == 'mqtt-devices' }.status", equalTo("UP"));

        String messageId = "mqtt-granted-" + UUID.randomUUID();
        try (TopicTail raw = new TopicTail(TopicTail.RAW); DeviceClient device = DeviceClient.device(mqtt.port())) {
            device.publish(MqttDeviceIngestTest.TOPIC,
                    "{\"messageId\":\"" + messageId + "\",\"userId\":\"sensor-21\",\"event\":\"Door Opened\"}");
            assertEquals(1, raw.withKey(MqttDeviceIngestTest.SOURCE + ":" + messageId, 1, WAIT).size());
        }
        assertEquals(1, broker.logText().split(" as " + mqtt.clientId(), -1).length - 1,
                "asked again on the connection it had, not on new ones");
    }
}
