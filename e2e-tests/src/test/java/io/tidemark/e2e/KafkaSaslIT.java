package io.tidemark.e2e;

import io.tidemark.testsupport.FreePort;
import io.tidemark.testsupport.PrivateKafka;
import io.tidemark.testsupport.ServiceProcess;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
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

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final String USER = "tidemark";
    private static final String PASSWORD = "s3cret-for-kafka";

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final String source = "sasl-" + run;
    private final String writeKey = "sasl-key-" + run;

    @Test
    void servicesGivenTheirKafkaLoginInTheEnvironmentStoreAnEventAndAWrongPasswordGetsNo200() throws Exception {
        int port = FreePort.next();
        List<ServiceProcess> services = new ArrayList<>();
        try (PrivateKafka kafka = PrivateKafka.withLogins(port, FreePort.next(), Map.of(USER, PASSWORD));
                StoredRows rows = new StoredRows("127.0.0.1", 9042)) {
            List<String> settings = List.of("kafka.bootstrap.servers=127.0.0.1:" + port,
                    "tidemark.ingest.sources." + source + ".write-keys=" + writeKey);
            ServiceProcess ingest = service("ingest-service", settings, login(PASSWORD), services);
            ServiceProcess dedup = service("dedup-service", settings.subList(0, 1), login(PASSWORD), services);
            ingest.launch();
            dedup.launch();
            ingest.awaitReady();
            dedup.awaitReady();

            String messageId = "sasl-" + UUID.randomUUID();
            assertEquals(200, track(ingest, messageId).statusCode());
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            Map<String, List<StoredRows.Stored>> stored = await("stored by dedup").atMost(PATIENCE)
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> rows.rows(source, List.of(today.minusDays(1), today)), found -> found.containsKey(messageId));
            assertEquals(1, stored.get(messageId).size(), "rows of " + messageId);

            ServiceProcess refused = service("ingest-service", settings, login("not-" + PASSWORD), services);
            refused.launch();
            // It serves HTTP; Kafka refuses its producer, so nothing is acknowledged.
            HttpResponse<String> answer = await("ingest with a wrong Kafka password answers").atMost(PATIENCE)
                    .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                    .until(() -> track(refused, "sasl-refused-" + UUID.randomUUID()), response -> response != null);
            assertEquals(503, answer.statusCode(), answer.body());
        } finally {
            ServiceProcess.closeAll(services);
        }
    }

    private static Map<String, String> login(String password) {
        return Map.of("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT",
                "KAFKA_SASL_MECHANISM", "PLAIN",
                "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + USER + "\" password=\"" + password + "\";");
    }

    private static ServiceProcess service(String module, List<String> settings, Map<String, String> environment,
            List<ServiceProcess> services) {
        Path root = Path.of(System.getProperty("tidemark.root", "..")).toAbsolutePath().normalize();
        ServiceProcess service = ServiceProcess.of(root, module).properties(settings).environment(environment)
                .log(Path.of("target", "service-logs"), module + "-sasl-" + services.size() + ".log").build();
        services.add(service);
        return service;
    }

    private HttpResponse<String> track(ServiceProcess ingest, String messageId) throws Exception {
        String body = "{\"messageId\":\"" + messageId + "\",\"userId\":\"u-1\",\"event\":\"Logged In To Kafka\"}";
        String basic = Base64.getEncoder().encodeToString((writeKey + ":").getBytes(StandardCharsets.UTF_8));
        return HTTP.send(HttpRequest.newBuilder(ingest.uri("/v1/track")).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Basic " + basic).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
