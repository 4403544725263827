package io.tidemark.e2e;

import io.tidemark.testsupport.FreePort;
import io.tidemark.testsupport.PrivateKafka;
import io.tidemark.testsupport.ServiceProcess;
import io.tidemark.testsupport.TestCertificates;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ingest and dedup against a Kafka that lets in only clients that prove who they are over TLS, the two ways managed
 * Kafkas and Strimzi ask: a SASL login, or a client certificate (mutual TLS). The broker's certificate comes from an
 * authority of the test's own, as Strimzi's cluster CA or a company's CA would sign it. The services are given their
 * credentials and that authority as a Kubernetes Deployment gives a Secret's values: environment variables named after
 * Kafka's client settings ({@code KAFKA_SECURITY_PROTOCOL}, {@code KAFKA_SASL_*}, {@code KAFKA_SSL_*}), which every
 * Kafka client of a service takes. An event is acknowledged and stored once. With a wrong credential, or without the
 * authority, ingest answers 503, never 200.
 */
class KafkaSecurityIT {

    private static final String EVENT = "Logged In To Kafka";
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final String USER = "tidemark";
    private static final String PASSWORD = "s3cret-for-kafka";
    /** The alert a broker that asks for a client certificate sends when it is shown none, or one it does not trust. */
    private static final String BAD_CERTIFICATE = "Received fatal alert: bad_certificate";

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final String source = "kafka-tls-" + run;
    private final String writeKey = "kafka-tls-key-" + run;
    private final TestCertificates authority = TestCertificates.authority(Path.of("target", "kafka-tls-" + run),
            "kafka-test-ca");

    @Test
    void servicesGivenTheirKafkaLoginAndCaInTheEnvironmentStoreAnEventAndAWrongPasswordOrCaGetsNo200() throws Exception {
        TestCertificates.Issued certificate = authority.issue("kafka-broker", "ip:127.0.0.1,dns:localhost", "serverAuth");
        Path trusted = authority.authorityCertificate();
        int port = FreePort.next();
        try (PrivateKafka kafka = PrivateKafka.withLoginsOverTls(port, FreePort.next(), Map.of(USER, PASSWORD),
                        certificate, trusted);
                ServiceGroup services = new ServiceGroup("sasl")) {
            storesOneEvent(services, port, login(PASSWORD, trusted));
            // Both serve HTTP; Kafka refuses the one's login, and the other refuses the broker's certificate.
            assertNoAcknowledgement(services, port, login("not-" + PASSWORD, trusted),
                    "Authentication failed: Invalid username or password");
            assertNoAcknowledgement(services, port, login(PASSWORD, null), "PKIX path building failed");
        }
    }

    /**
     * Strimzi's {@code tls} authentication hands a KafkaUser's key and certificate over as a PKCS#12 store
     * ({@code user.p12}, password in {@code user.password}) and the cluster CA as {@code ca.crt}: the same files here.
     */
    @Test
    void servicesShowingTheirClientCertificateStoreAnEventAndAStrangersCertificateOrNoneGetsNo200() throws Exception {
        TestCertificates.Issued certificate = authority.issue("kafka-broker", "ip:127.0.0.1,dns:localhost",
                "serverAuth,clientAuth");
        authority.issue("tidemark-services", null, "clientAuth");
        Path own = authority.keyStore("tidemark-services");
        TestCertificates stranger = TestCertificates.authority(Path.of("target", "kafka-tls-" + run, "stranger"),
                "stranger-ca");
        stranger.issue("tidemark-services", null, "clientAuth");
        Path strangers = stranger.keyStore("tidemark-services");
        Path trusted = authority.authorityCertificate();
        int port = FreePort.next();
        try (PrivateKafka kafka = PrivateKafka.withClientCertificates(port, FreePort.next(), certificate, trusted);
                ServiceGroup services = new ServiceGroup("mtls")) {
            storesOneEvent(services, port, certificate(own, trusted));
            // The broker asks for a certificate its authority signed: one from another authority, or none, is refused.
            assertNoAcknowledgement(services, port, certificate(strangers, trusted), BAD_CERTIFICATE);
            assertNoAcknowledgement(services, port, certificate(null, trusted), BAD_CERTIFICATE);
        }
    }

    /** ingest and dedup with {@code environment} take an event, acknowledge it and store it once. */
    private void storesOneEvent(ServiceGroup services, int port, Map<String, String> environment) throws Exception {
        List<String> settings = settings(port);
        ServiceProcess ingest = services.add("ingest-service", settings, environment);
        ServiceProcess dedup = services.add("dedup-service", settings.subList(0, 1), environment);
        ingest.launch();
        dedup.launch();
        ingest.awaitReady();
        dedup.awaitReady();

        String messageId = "kafka-tls-" + UUID.randomUUID();
        assertEquals(200, IngestCall.track(ingest, writeKey, messageId, EVENT).statusCode());
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        try (StoredRows rows = new StoredRows("127.0.0.1", 9042)) {
            Map<String, List<StoredRows.Stored>> stored = await("stored by dedup").atMost(PATIENCE)
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> rows.rows(source, List.of(today.minusDays(1), today)), found -> found.containsKey(messageId));
            assertEquals(1, stored.get(messageId).size(), "rows of " + messageId);
        }
    }

    /**
     * An ingest with {@code environment} serves HTTP but cannot reach Kafka, so it acknowledges nothing, and its log
     * says why: {@code reason}.
     */
    private void assertNoAcknowledgement(ServiceGroup services, int port, Map<String, String> environment, String reason)
            throws Exception {
        ServiceProcess ingest = services.add("ingest-service", settings(port), environment);
        ingest.launch();
        HttpResponse<String> answer = await("ingest that cannot reach Kafka answers").atMost(PATIENCE)
                .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> IngestCall.track(ingest, writeKey, "kafka-tls-refused-" + UUID.randomUUID(), EVENT),
                        response -> response != null);
        assertEquals(503, answer.statusCode(), answer.body());
        assertTrue(ingest.logText().contains(reason), "ingest's log names the refusal: " + reason);
    }

    private List<String> settings(int port) {
        return List.of("kafka.bootstrap.servers=127.0.0.1:" + port,
                "tidemark.ingest.sources." + source + ".write-keys=" + writeKey);
    }

    /** @param authority the CA file the client trusts, or null for the JVM's own CAs */
    private static Map<String, String> login(String password, Path authority) {
        Map<String, String> environment = new HashMap<>(Map.of("KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_MECHANISM", "PLAIN",
                "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + USER + "\" password=\"" + password + "\";"));
        if (authority != null) {
            environment.putAll(trusting(authority));
        }
        return environment;
    }

    /** @param keyStore the PKCS#12 store of the key and certificate the client shows, or null for none */
    private static Map<String, String> certificate(Path keyStore, Path authority) {
        Map<String, String> environment = new HashMap<>(trusting(authority));
        environment.put("KAFKA_SECURITY_PROTOCOL", "SSL");
        if (keyStore != null) {
            environment.putAll(Map.of("KAFKA_SSL_KEYSTORE_TYPE", "PKCS12",
                    "KAFKA_SSL_KEYSTORE_LOCATION", keyStore.toAbsolutePath().toString(),
                    "KAFKA_SSL_KEYSTORE_PASSWORD", TestCertificates.PASSWORD));
        }
        return environment;
    }

    private static Map<String, String> trusting(Path authority) {
        return Map.of("KAFKA_SSL_TRUSTSTORE_TYPE", "PEM",
                "KAFKA_SSL_TRUSTSTORE_LOCATION", authority.toAbsolutePath().toString());
    }
}
