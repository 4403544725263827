package io.tidemark.ingest.rest;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.tidemark.testsupport.FreePort;
import io.tidemark.ingest.ManagementPort;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * Ingest pointed at a port where no broker listens (the shared Kafka is never stopped): calls are
 * refused with 503 and Retry-After instead of hanging, and readiness says DOWN.
 */
@QuarkusTest
@TestProfile(KafkaUnreachableTest.NoBroker.class)
class KafkaUnreachableTest {

    /** Points the producers at a free local port nothing listens on. */
    public static class NoBroker implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("kafka.bootstrap.servers", "127.0.0.1:" + FreePort.next());
        }
    }

    @Test
    void aCallIsRefusedWithRetryAfterWhenKafkaCannotBeReached() {
        given().auth().preemptive().basic("ingest-test-key", "").contentType("application/json")
                .body("{\"userId\":\"u\",\"event\":\"Lost?\"}")
                .when().post("/v1/track")
                .then().statusCode(503).contentType("application/problem+json")
                .header("Retry-After", "5").body("status", equalTo(503));
        given().auth().preemptive().basic("ingest-test-key", "").contentType("application/json")
                .body("{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"Lost?\"}]}")
                .when().post("/v1/batch")
                .then().statusCode(503).header("Retry-After", "5");
        given().auth().preemptive().basic("ingest-test-key", "").contentType("application/x-ndjson")
                .body("{\"type\":\"track\",\"userId\":\"u\",\"event\":\"Lost?\"}\n".repeat(3).getBytes(StandardCharsets.UTF_8))
                .when().post("/bulk/v1/import")
                .then().statusCode(503).contentType("application/problem+json").header("Retry-After", "5")
                .body("detail", containsString("lines before 1 are stored"));
    }

    @Test
    void readinessIsDownWhenKafkaCannotBeReached() {
        given().when().get(ManagementPort.url("health/ready"))
                .then().statusCode(503).body("status", equalTo("DOWN"));
    }
}
