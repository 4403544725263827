package io.tidemark.e2e;

import io.tidemark.testsupport.FreePort;
import io.tidemark.testsupport.PrivateKafka;
import io.tidemark.testsupport.ServiceProcess;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * ingest and dedup against a Kafka that lets in only clients that log in (SASL PLAIN, as managed Kafkas ask),
 * given their login as a Kubernetes Deployment gives a Secret's values: environment variables
 * ({@code KAFKA_SECURITY_PROTOCOL}, {@code KAFKA_SASL_MECHANISM}, {@code KAFKA_SASL_JAAS_CONFIG}), which every
 * Kafka client of a service takes. An event is acknowledged and stored once; with a wrong password ingest
 * answers 503, never 200.
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
    void servicesGivenTheirKafkaLoginInTheEnvironmentStoreAnEventAndAWrongPasswordGetsNo200() throws Exception {
        int port = FreePort.next();
        try (PrivateKafka kafka = PrivateKafka.withLogins(port, FreePort.next(), Map.of(USER, PASSWORD));
                StoredRows rows = new StoredRows("127.0.0.1", 9042);
                ServiceGroup services = new ServiceGroup("sasl")) {
            List<String> settings = List.of("kafka.bootstrap.servers=127.0.0.1:" + port,
                    "tidemark.ingest.sources." + source + ".write-keys=" + writeKey);
            ServiceProcess ingest = services.add("ingest-service", settings, login(PASSWORD));
            ServiceProcess dedup = services.add("dedup-service", settings.subList(0, 1), login(PASSWORD));
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

            ServiceProcess refused = services.add("ingest-service", settings, login("not-" + PASSWORD));
            refused.launch();
            // It serves HTTP; Kafka refuses its producer, so nothing is acknowledged.
            HttpResponse<String> answer = await("ingest with a wrong Kafka password answers").atMost(PATIENCE)
                    .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                    .until(() -> IngestCall.track(refused, writeKey, "sasl-refused-" + UUID.randomUUID(), EVENT),
                            response -> response != null);
            assertEquals(503, answer.statusCode(), answer.body());
        }
    }

    private static Map<String, String> login(String password) {
        return Map.of("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT",
                "KAFKA_SASL_MECHANISM", "PLAIN",
                "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + USER + "\" password=\"" + password + "\";");
    }
}
