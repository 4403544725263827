package io.tidemark.ingest.rest;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

/**
 * With room for only a few unacknowledged events, a request that would exceed it is answered 503 with
 * Retry-After at once, before anything is sent, while a request that fits is stored as usual.
 */
@QuarkusTest
@TestProfile(ProducerSaturationTest.FewInFlight.class)
class ProducerSaturationTest {

    /** Room for five events waiting for Kafka. */
    public static class FewInFlight implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tidemark.ingest.max-in-flight-events", "5");
        }
    }

    private static String batchOf(int events) {
        return "{\"batch\":[" + String.join(",", Collections.nCopies(events,
                "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"Saturating\"}")) + "]}";
    }

    @Test
    void aBatchBeyondTheProducersRoomIsRefusedWithRetryAfter() {
        given().auth().preemptive().basic("ingest-test-key", "").contentType("application/json").body(batchOf(6))
                .when().post("/v1/batch")
                .then().statusCode(503).contentType("application/problem+json")
                .header("Retry-After", "5").body("status", equalTo(503));
    }

    @Test
    void aBatchWithinTheProducersRoomIsStored() {
        given().auth().preemptive().basic("ingest-test-key", "").contentType("application/json").body(batchOf(5))
                .when().post("/v1/batch")
                .then().statusCode(200).body("success", equalTo(true));
    }
}
