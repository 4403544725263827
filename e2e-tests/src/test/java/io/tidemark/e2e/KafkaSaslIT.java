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

/**
 * ingest and dedup against a Kafka that lets in only clients that log in (SASL PLAIN) over TLS, as managed Kafkas
 * ask, with a certificate from an authority of its own (as Strimzi's cluster CA or a company's CA would sign it).
 * The services are given their login and that authority as a Kubernetes Deployment gives a Secret's values:
 * environment variables ({@code KAFKA_SECURITY_PROTOCOL}, {@code KAFKA_SASL_MECHANISM}, {@code KAFKA_SASL_JAAS_CONFIG},
 * {@code KAFKA_SSL_TRUSTSTORE_TYPE}, {@code KAFKA_SSL_TRUSTSTORE_LOCATION}), which every Kafka client of a service
 * takes. An event is acknowledged and stored once. With a wrong password, or without the authority (so the broker's
 * certificate is checked against the JVM's own CAs), ingest answers 503, never 200.
 */
class KafkaSaslIT {

    private static final String EVENT = "Logged In To Kafka";
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final String USER = "tidemark";
    private static final String PASSWORD = "s3cret-for-kafka";

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final String source = "sasl-" + run;
    private final String writeKey = "sasl-key-" + run;

    @Test
    void servicesGivenTheirKafkaLoginAndCaInTheEnvironmentStoreAnEventAndAWrongPasswordOrCaGetsNo200() throws Exception {
        TestCertificates authority = TestCertificates.authority(Path.of("target", "kafka-tls-" + run), "kafka-test-ca");
        TestCertificates.Issued certificate = authority.issue("kafka-broker", "ip:127.0.0.1,dns:localhost", "serverAuth");
        Path trusted = authority.authorityCertificate();
        int port = FreePort.next();
        try (PrivateKafka kafka = PrivateKafka.withLoginsOverTls(port, FreePort.next(), Map.of(USER, PASSWORD),
                        certificate, trusted);
                StoredRows rows = new StoredRows("127.0.0.1", 9042);
                ServiceGroup services = new ServiceGroup("sasl")) {
            List<String> settings = List.of("kafka.bootstrap.servers=127.0.0.1:" + port,
                    "tidemark.ingest.sources." + source + ".write-keys=" + writeKey);
            ServiceProcess ingest = services.add("ingest-service", settings, login(PASSWORD, trusted));
            ServiceProcess dedup = services.add("dedup-service", settings.subList(0, 1), login(PASSWORD, trusted));
            ingest.launch();
            dedup.launch();
            ingest.awaitReady();
            dedup.awaitReady();

            String messageId = "sasl-" + UUID.randomUUID();
            assertEquals(200, IngestCall.track(ingest, writeKey, messageId, EVENT).statusCode());
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            Map<String, List<StoredRows.Stored>> stored = await("stored by dedup").atMost(PATIENCE)
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> rows.rows(source, List.of(today.minusDays(1), today)), found -> found.containsKey(messageId));
            assertEquals(1, stored.get(messageId).size(), "rows of " + messageId);

            ServiceProcess wrongPassword = services.add("ingest-service", settings, login("not-" + PASSWORD, trusted));
            ServiceProcess withoutCa = services.add("ingest-service", settings, login(PASSWORD, null));
            wrongPassword.launch();
            withoutCa.launch();
            // Both serve HTTP; Kafka refuses the one's login, and the other refuses the broker's certificate.
            assertNoAcknowledgement(wrongPassword);
            assertNoAcknowledgement(withoutCa);
        }
    }

    private void assertNoAcknowledgement(ServiceProcess ingest) {
        HttpResponse<String> answer = await("ingest that cannot reach Kafka answers").atMost(PATIENCE)
                .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> IngestCall.track(ingest, writeKey, "sasl-refused-" + UUID.randomUUID(), EVENT),
                        response -> response != null);
        assertEquals(503, answer.statusCode(), answer.body());
    }

    /** @param authority the CA file the client trusts, or null for the JVM's own CAs */
    private static Map<String, String> login(String password, Path authority) {
        Map<String, String> environment = new HashMap<>(Map.of("KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_MECHANISM", "PLAIN",
                "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + USER + "\" password=\"" + password + "\";"));
        if (authority != null) {
            environment.put("KAFKA_SSL_TRUSTSTORE_TYPE", "PEM");
            environment.put("KAFKA_SSL_TRUSTSTORE_LOCATION", authority.toAbsolutePath().toString());
        }
        return environment;
    }
}
