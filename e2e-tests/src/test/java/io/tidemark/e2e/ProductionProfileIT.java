package io.tidemark.e2e;

import io.tidemark.testsupport.ServiceProcess;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.OptionalInt;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo credentials belong to the local profile only: a service started as production knows no
 * write key and no read token but those its deployment sets.
 */
class ProductionProfileIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void ingestInProductionRefusesTheDemoWriteKey() throws Exception {
        String key = "prod-key-" + UUID.randomUUID();
        try (ServiceProcess ingest = ServiceProcess.launch("ingest-service",
                List.of("tidemark.ingest.sources.prod-src.write-keys=" + key, "quarkus.profile=prod"))) {
            ingest.awaitReady();
            assertEquals(401, track(ingest, "dev-write-key"), "the demo key must not open a production ingest");
            assertEquals(200, track(ingest, key), "the configured key is accepted");
        }
    }

    @Test
    void thePackagedIngestServesHealthMetricsAndItsApiDocumentOnlyOnTheManagementPort() throws Exception {
        try (ServiceProcess ingest = ServiceProcess.launch("ingest-service",
                List.of("tidemark.ingest.sources.prod-src.write-keys=prod-key-" + UUID.randomUUID(), "quarkus.profile=prod"))) {
            ingest.awaitReady();
            for (String path : List.of("/q/health/ready", "/q/metrics", "/q/openapi")) {
                assertEquals(404, ServiceProcess.status(HTTP, ingest.uri(path)), path + " on the public port");
                assertEquals(200, ServiceProcess.status(HTTP, ingest.managementUri(path)), path + " on the management port");
            }
        }
    }

    @Test
    void martInProductionWithoutReadTokensRefusesToStart() throws Exception {
        try (ServiceProcess mart = ServiceProcess.launch("mart-service", List.of("quarkus.profile=prod",
                "tidemark.mart.export.every=off", "tidemark.mart.export.root=target/prod-profile-marts"))) {
            OptionalInt exit = mart.awaitExit(Duration.ofSeconds(90));
            assertTrue(exit.isPresent(), "mart kept running without any read token");
            assertNotEquals(0, exit.getAsInt());
            assertTrue(mart.logText().contains("tidemark.mart.tokens"), "the log names the missing setting");
        }
    }

    @Test
    void ingestInProductionWithTheExamplesPlaceholderKeyRefusesToStart() throws Exception {
        try (ServiceProcess ingest = ServiceProcess.launch("ingest-service", List.of(
                "tidemark.ingest.sources.web.write-keys=CHANGE-ME-web-write-key", "quarkus.profile=prod"))) {
            OptionalInt exit = ingest.awaitExit(Duration.ofSeconds(90));
            assertTrue(exit.isPresent(), "ingest kept running with the example's placeholder key");
            assertNotEquals(0, exit.getAsInt());
            assertTrue(ingest.logText().contains("tidemark.ingest.sources.web.write-keys"), "the log names the setting");
        }
    }

    @Test
    void martInProductionWithTheDemoTokenRefusesToStart() throws Exception {
        try (ServiceProcess mart = ServiceProcess.launch("mart-service", List.of("quarkus.profile=prod",
                "tidemark.mart.tokens.stolen.token=dev-read-token",
                "tidemark.mart.export.every=off", "tidemark.mart.export.root=target/prod-profile-marts"))) {
            OptionalInt exit = mart.awaitExit(Duration.ofSeconds(90));
            assertTrue(exit.isPresent(), "mart kept running with the README's demo token");
            assertNotEquals(0, exit.getAsInt());
            assertTrue(mart.logText().contains("tidemark.mart.tokens.stolen.token"), "the log names the setting");
        }
    }

    private static int track(ServiceProcess ingest, String writeKey) throws Exception {
        String basic = Base64.getEncoder().encodeToString((writeKey + ":").getBytes(StandardCharsets.UTF_8));
        String body = "{\"messageId\":\"" + UUID.randomUUID() + "\",\"userId\":\"u\",\"event\":\"Profile Checked\"}";
        return HTTP.send(HttpRequest.newBuilder(ingest.uri("/v1/track")).header("Authorization", "Basic " + basic)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
