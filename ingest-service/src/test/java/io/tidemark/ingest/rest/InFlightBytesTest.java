package io.tidemark.ingest.rest;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * The in-flight limit counts bytes as well as events: a few large events fill the heap as surely as
 * many small ones, so a request whose encoded records would exceed the byte budget is answered 503
 * with Retry-After at once, although it is far below the event limit.
 */
@QuarkusTest
@TestProfile(InFlightBytesTest.FewBytesInFlight.class)
class InFlightBytesTest {

    /** Room for 8 KB of records waiting for Kafka, and the usual (large) number of events. */
    public static class FewBytesInFlight implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tidemark.ingest.max-in-flight-bytes", "8K");
        }
    }

    /** Events of about 4 KB each once encoded. */
    private static String batchOf(int events) {
        String padding = "x".repeat(4000);
        return "{\"batch\":[" + String.join(",", Collections.nCopies(events,
                "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"Heavy\",\"properties\":{\"note\":\"" + padding + "\"}}"))
                + "]}";
    }

    @Test
    void aBatchWhoseBytesExceedTheBudgetIsRefusedWithRetryAfter() {
        given().auth().preemptive().basic("ingest-test-key", "").contentType("application/json").body(batchOf(3))
                .when().post("/v1/batch")
                .then().statusCode(503).contentType("application/problem+json")
                .header("Retry-After", "5").body("status", equalTo(503)).body("detail", containsString("bytes"));
    }

    @Test
    void aBatchWithinTheByteBudgetIsStored() {
        given().auth().preemptive().basic("ingest-test-key", "").contentType("application/json").body(batchOf(1))
                .when().post("/v1/batch")
                .then().statusCode(200).body("success", equalTo(true));
    }
}
