package io.tidemark.ingest.rest;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

/**
 * Bodies buffered at once are bounded across connections: clients that send all of a large body but
 * its last byte cannot together fill the heap. Past the budget a new request is answered 503 with
 * Retry-After before its body is read, small requests still fit beside the held ones, and the budget
 * comes back when the holders go.
 */
@QuarkusTest
@TestProfile(BufferedBodyBudgetTest.SmallBudget.class)
class BufferedBodyBudgetTest {

    private static final int HELD_LENGTH = 400_000;

    /** Room for two held 400 KB bodies and a few small requests, not for a third large one. */
    public static class SmallBudget implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tidemark.ingest.max-buffered-request-bytes", "1M");
        }
    }

    @TestHTTPResource("/")
    URL server;

    @Test
    void heldBodiesFillTheBudgetAndThenFurtherBodiesAre503UntilTheHoldersGo() throws Exception {
        try (Socket first = holdBody(); Socket second = holdBody()) {
            try (Socket third = holdBody()) {
                String answer = RawCalls.readAnswer(third, java.time.Duration.ofSeconds(5));
                assertThat(answer, startsWith("HTTP/1.1 503"));
                assertThat(answer.toLowerCase(java.util.Locale.ROOT), containsString("retry-after: 1"));
                assertThat(answer, containsString("application/problem+json"));
                assertThat(answer, containsString("\"field\":\"body\""));
            }
            // A small call fits beside the held bodies; a large one does not.
            given().auth().preemptive().basic("ingest-test-key", "").contentType("application/json")
                    .body("{\"userId\":\"u\",\"event\":\"Small\"}")
                    .when().post("/v1/track").then().statusCode(200);
            given().auth().preemptive().basic("ingest-test-key", "").contentType("application/json")
                    .body(RawCalls.batchOfBytes("Held", 300_000))
                    .when().post("/v1/batch").then().statusCode(503).header("Retry-After", equalTo("1"))
                    .body("field", equalTo("body"));
        }
        // The holders went without finishing their bodies: their reservations are returned.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).untilAsserted(() ->
                given().auth().preemptive().basic("ingest-test-key", "").contentType("application/json")
                        .body(RawCalls.batchOfBytes("Held", 300_000))
                        .when().post("/v1/batch").then().statusCode(200));
    }

    /** A batch call whose body comes whole but for its last byte, held open. */
    private Socket holdBody() throws IOException {
        Socket socket = new Socket(server.getHost(), server.getPort());
        OutputStream out = socket.getOutputStream();
        byte[] body = RawCalls.batchOfBytes("Held", HELD_LENGTH).getBytes(StandardCharsets.UTF_8);
        out.write(("POST /v1/batch HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + RawCalls.AUTHORIZATION
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(body, 0, body.length - 1);
        out.flush();
        return socket;
    }
}
