package io.tidemark.ingest.mqtt;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.ingest.TopicTail;
import io.tidemark.testsupport.TestCertificates;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.StandardCopyOption;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ingest reaches a real Mosquitto over TLS with a client certificate, configured the way an operator would:
 * a named Quarkus TLS configuration of PEM files, and {@code tidemark.ingest.mqtt.tls-configuration-name}.
 */
@QuarkusTest
@TestProfile(MqttTlsIngestTest.OverTls.class)
class MqttTlsIngestTest {

    /** MQTT on against a private Mosquitto's TLS listener. */
    public static class OverTls implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(MosquittoResource.class, Map.of(MosquittoResource.TLS, "true")));
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Inject
    MqttDeviceSubscriber subscriber;

    @MosquittoResource.Broker
    MosquittoBroker broker;

    @MosquittoResource.Broker
    MosquittoResource.IngestCertificate certificate;

    @Test
    void anEventADevicePublishesReachesKafkaThroughIngestsTlsConnection() {
        MqttDeviceIngestTest.awaitSubscribed(subscriber);
        // Its certificate, not a password, let ingest in: the broker took the certificate's name for the user.
        assertTrue(broker.logText().contains("u'" + MosquittoResource.INGEST_CERTIFICATE_NAME + "'"), broker.logText());

        String messageId = "mqtt-tls-" + UUID.randomUUID();
        try (TopicTail raw = new TopicTail(TopicTail.RAW); DeviceClient device = DeviceClient.device(broker.port())) {
            device.publish(MqttDeviceIngestTest.TOPIC, "{\"messageId\":\"" + messageId
                    + "\",\"userId\":\"sensor-9\",\"event\":\"Valve Opened\"}");

            List<ConsumerRecord<String, byte[]>> mine = raw.withKey(MqttDeviceIngestTest.SOURCE + ":" + messageId, 1, WAIT);
            assertEquals(1, mine.size());
            CollectedEvent event = EventCodec.decode(mine.get(0).value());
            assertEquals("Valve Opened", event.event());
            assertEquals("sensor-9", event.userId());
        }
    }

    @Test
    void aRenewedClientCertificateIsTheOneTheNextConnectionShows() throws Exception {
        MqttDeviceIngestTest.awaitSubscribed(subscriber);
        // As cert-manager renews a mounted secret: new files in place of the old, read again by the TLS registry.
        String renewedName = MosquittoResource.INGEST_CERTIFICATE_NAME + "-renewed";
        TestCertificates.Issued renewed = certificate.authority().issue(renewedName, null, "clientAuth");
        Files.copy(renewed.key(), certificate.files().key(), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(renewed.certificate(), certificate.files().certificate(), StandardCopyOption.REPLACE_EXISTING);

        // Each try is a new connection; the open one was made with the certificate before.
        Awaitility.await("a connection with the renewed certificate").atMost(WAIT).pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    subscriber.stop().await().atMost(WAIT);
                    subscriber.start();
                    MqttDeviceIngestTest.awaitSubscribed(subscriber);
                    return broker.logText().contains("u'" + renewedName + "'");
                });
    }
}
