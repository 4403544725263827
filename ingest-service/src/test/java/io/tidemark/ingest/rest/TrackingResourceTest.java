package io.tidemark.ingest.rest;

import io.quarkus.test.junit.QuarkusTest;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.ingest.TopicTail;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The track call against the real Kafka broker of the local stack. */
@QuarkusTest
class TrackingResourceTest {

    private static final String WRITE_KEY = "ingest-test-key";

    @Test
    void acceptedTrackCallIsOnTheRawTopicKeyedBySourceAndMessageId() {
        String messageId = "ingest-" + UUID.randomUUID();
        Instant fiveDaysAgo = Instant.now().minus(5, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MILLIS);
        try (TopicTail reader = new TopicTail(TopicTail.RAW)) {
            given().auth().preemptive().basic(WRITE_KEY, "")
                    .contentType("application/json")
                    .body("{\"messageId\":\"" + messageId + "\",\"userId\":\"u-1\",\"event\":\"Signed Up\","
                            + "\"properties\":{\"plan\":\"pro\"},\"timestamp\":\"" + fiveDaysAgo + "\"}")
                    .when().post("/v1/track")
                    .then().statusCode(200).body("success", equalTo(true));

            List<ConsumerRecord<String, byte[]>> mine = reader.readUntil(
                    records -> records.stream().anyMatch(r -> r.key().endsWith(messageId)), Duration.ofSeconds(15))
                    .stream().filter(r -> r.key().endsWith(messageId)).toList();
            assertEquals(1, mine.size());
            assertEquals("ingest-test:" + messageId, mine.get(0).key());
            CollectedEvent event = EventCodec.decode(mine.get(0).value());
            assertEquals("ingest-test", event.source());
            assertEquals("Signed Up", event.event());
            assertEquals("u-1", event.userId());
            assertEquals(fiveDaysAgo, event.timestamp());
            assertEquals("pro", event.properties().get("plan").asText());
        }
    }

    @Test
    void writeKeyInTheBodyAuthenticatesToo() {
        given().contentType("application/json")
                .body("{\"writeKey\":\"" + WRITE_KEY + "\",\"anonymousId\":\"a-1\",\"event\":\"Viewed\"}")
                .when().post("/v1/track")
                .then().statusCode(200).body("success", equalTo(true));
    }

    @Test
    void unknownWriteKeyIsUnauthorizedWithAProblemBody() {
        given().auth().preemptive().basic("not-a-key", "")
                .contentType("application/json")
                .body("{\"userId\":\"u\",\"event\":\"e\"}")
                .when().post("/v1/track")
                .then().statusCode(401)
                .contentType("application/problem+json")
                .body("status", equalTo(401)).body("field", equalTo("writeKey"));
    }

    @Test
    void malformedJsonIsABadRequestNamingTheBody() {
        given().auth().preemptive().basic(WRITE_KEY, "")
                .contentType("application/json")
                .body("{\"userId\": ")
                .when().post("/v1/track")
                .then().statusCode(400)
                .contentType("application/problem+json")
                .body("field", equalTo("body")).body("detail", containsString("not valid JSON"));
    }

    @Test
    void eventWithoutUserIsABadRequestNamingUserId() {
        given().auth().preemptive().basic(WRITE_KEY, "")
                .contentType("application/json")
                .body("{\"event\":\"Viewed\"}")
                .when().post("/v1/track")
                .then().statusCode(400)
                .contentType("application/problem+json")
                .body("field", equalTo("userId")).body("title", equalTo("Invalid event"));
    }
}
