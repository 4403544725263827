package io.tidemark.ingest.mqtt;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.quarkus.tls.BaseTlsConfiguration;
import io.quarkus.tls.TlsConfiguration;
import io.quarkus.tls.TlsConfigurationRegistry;
import io.tidemark.ingest.mqtt.BrokerConnectionTest.Recorder;
import io.tidemark.ingest.mqtt.BrokerConnectionTest.Settings;
import io.tidemark.testsupport.TestCertificates;
import io.vertx.core.Vertx;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.TrustOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;

import static io.tidemark.ingest.mqtt.BrokerConnectionTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ingest's broker connection over TLS against a real Mosquitto whose TLS listener wants a client certificate
 * of the test's authority, and whose own certificate names {@code localhost} only.
 */
class BrokerTlsTest {

    private static final String INGEST = "tidemark-ingest";

    private static TestCertificates authority;
    private static TestCertificates.Issued ingest;
    private static MosquittoBroker broker;
    private static Vertx vertx;

    /** A TLS configuration as the Quarkus registry hands one over. */
    static final class Tls extends BaseTlsConfiguration {
        private final TrustOptions trust;
        private final KeyCertOptions key;
        private final Optional<String> hostnameVerification;

        Tls(Path trusted, TestCertificates.Issued certificate, Optional<String> hostnameVerification) {
            this.trust = new PemTrustOptions().addCertPath(trusted.toString());
            this.key = certificate == null ? null : new PemKeyCertOptions()
                    .setCertPath(certificate.certificate().toString()).setKeyPath(certificate.key().toString());
            this.hostnameVerification = hostnameVerification;
        }

        @Override
        public TrustOptions getTrustStoreOptions() {
            return trust;
        }

        @Override
        public KeyCertOptions getKeyStoreOptions() {
            return key;
        }

        @Override
        public Optional<String> getHostnameVerificationAlgorithm() {
            return hostnameVerification;
        }
    }

    @BeforeAll
    static void start() {
        Path dir = Path.of("target", "tls", UUID.randomUUID().toString());
        authority = TestCertificates.authority(dir, "tidemark-test-ca");
        TestCertificates.Issued server = authority.issue("broker", "dns:localhost", "serverAuth");
        ingest = authority.issue(INGEST, null, "clientAuth");
        broker = MosquittoBroker.withTls(server, authority.authorityCertificate());
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        } finally {
            broker.close();
        }
    }

    @Test
    void withItsCertificateIngestSubscribesOverTlsAndReceivesWhatDevicesPublish() throws Exception {
        Recorder recorder = new Recorder();
        BrokerConnection connection = connection("localhost", new Tls(authority.authorityCertificate(), ingest, Optional.empty()),
                recorder);
        assertFalse(await(connection.open()), "a new session");
        assertEquals(List.of(1), await(connection.subscribe("tidemark/+/events", MqttQoS.AT_LEAST_ONCE)));
        try (DeviceClient device = DeviceClient.device(broker.port())) {
            device.publish("tidemark/key-1/events", "{\"event\":\"Over TLS\"}");
        }
        DeviceMessage message = (DeviceMessage) recorder.next();
        assertEquals("{\"event\":\"Over TLS\"}", new String(message.payload(), StandardCharsets.UTF_8));
        connection.acknowledge(message.packetId());
        await(connection.disconnect());
        // The broker took the certificate's name for the user: it was the certificate that let ingest in.
        assertTrue(broker.logText().contains("u'" + INGEST + "'"), broker.logText());
    }

    @Test
    void aBrokerReachedByANameItsCertificateDoesNotHoldIsRefused() throws Exception {
        Tls verified = new Tls(authority.authorityCertificate(), ingest, Optional.empty());
        ExecutionException refused = assertThrows(ExecutionException.class,
                () -> await(connection("127.0.0.1", verified, new Recorder()).open()));
        assertInstanceOf(SSLHandshakeException.class, refused.getCause(), refused.getCause().toString());

        // Only a configuration that turns the check off on purpose lets the same connection through.
        BrokerConnection unverified = connection("127.0.0.1",
                new Tls(authority.authorityCertificate(), ingest, Optional.of("NONE")), new Recorder());
        assertFalse(await(unverified.open()));
        await(unverified.disconnect());
    }

    @Test
    void aBrokerWhoseCertificateAnotherAuthoritySignedIsRefused() {
        TestCertificates other = TestCertificates.authority(Path.of("target", "tls", UUID.randomUUID().toString()),
                "another-ca");
        ExecutionException refused = assertThrows(ExecutionException.class, () -> await(
                connection("localhost", new Tls(other.authorityCertificate(), ingest, Optional.empty()), new Recorder()).open()));
        assertInstanceOf(SSLHandshakeException.class, refused.getCause(), refused.getCause().toString());
    }

    @Test
    void withoutACertificateIngestIsNotLetIn() {
        BrokerConnection connection = connection("localhost", new Tls(authority.authorityCertificate(), null, Optional.empty()),
                new Recorder());
        assertThrows(ExecutionException.class, () -> await(connection.open()));
        assertFalse(connection.isOpen());
    }

    @Test
    void aTlsConfigurationNameThatNamesNoConfigurationStopsTheStartAndSaysWhich() {
        TlsConfigurationRegistry empty = new TlsConfigurationRegistry() {
            @Override
            public Optional<TlsConfiguration> get(String name) {
                return Optional.empty();
            }

            @Override
            public Optional<TlsConfiguration> getDefault() {
                return Optional.empty();
            }

            @Override
            public void register(String name, TlsConfiguration configuration) {
                throw new UnsupportedOperationException();
            }
        };
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> BrokerSocketOptions.of(
                Settings.at("localhost", broker.tlsPort()).withTlsConfiguration("brokr"), empty));
        assertTrue(refused.getMessage().contains("quarkus.tls.brokr."), refused.getMessage());
        assertFalse(BrokerSocketOptions.of(Settings.at("localhost", broker.port()), empty).isSsl(), "plain without a name");
    }

    private static BrokerConnection connection(String host, Tls tls, Recorder recorder) {
        NetClientOptions options = BrokerSocketOptions.withTls(new NetClientOptions(), tls);
        return new BrokerConnection(vertx, vertx.createNetClient(options), Settings.at(host, broker.tlsPort()), 1_000,
                recorder);
    }
}
