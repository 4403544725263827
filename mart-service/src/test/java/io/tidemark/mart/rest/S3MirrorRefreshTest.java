package io.tidemark.mart.rest;

import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static io.tidemark.mart.rest.StoredEvents.TOKEN;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

/**
 * A replica that does not export sees each generation another replica commits to the bucket within
 * seconds, through its mirror refresh (every second in the test profile), with no export of its own.
 */
@QuarkusTest
@QuarkusTestResource(TempMartRoot.class)
@QuarkusTestResource(value = S3ProxyResource.class, restrictToAnnotatedClass = true)
class S3MirrorRefreshTest {

    private static final String SOURCE = "mart-refresh-" + UUID.randomUUID().toString().substring(0, 8);
    private static final String DAY = "2026-10-07";

    @Inject
    QuarkusCqlSession session;

    @Test
    void eachGenerationAnotherReplicaCommitsIsServedWithinSecondsWithoutAnExport() throws Exception {
        session.execute(SimpleStatement.newInstance(
                "INSERT INTO tidemark.changed_days (source, event_date, changed_at) VALUES (?, ?, ?)",
                SOURCE, LocalDate.parse(DAY), Instant.now()));
        // Read at run time: the property exists only where this class's S3Proxy runs.
        URI endpoint = ConfigProvider.getConfig().getValue("tidemark.mart.store.s3.endpoint", URI.class);
        try (S3Client s3 = S3ProxyResource.client(endpoint)) {
            SeededBucket.putDay(s3, SOURCE, DAY, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", row("08", "m-1", "u-1"));
            committed(1);
            await().atMost(Duration.ofSeconds(20)).until(() -> events() == 1);

            SeededBucket.putDay(s3, SOURCE, DAY, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
                    row("08", "m-1", "u-1") + "," + row("09", "m-2", "u-2") + "," + row("10", "m-3", "u-3"));
            committed(3);
            await().atMost(Duration.ofSeconds(20)).until(() -> events() == 3);
        }
        given().auth().oauth2(TOKEN).queryParam("source", SOURCE).queryParam("from", DAY).queryParam("to", DAY)
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(200).body("days[0].events", equalTo(3)).body("days[0].users", equalTo(3));
    }

    private static String row(String hour, String messageId, String user) {
        return "(TIMESTAMPTZ '" + DAY + " " + hour + ":00:00+00', '" + messageId + "', 'track', 'Viewed', '" + user + "', NULL)";
    }

    /** The other replica's ledger row, written after its manifest as the export cycle does. */
    private void committed(long rows) {
        session.execute(SimpleStatement.newInstance("INSERT INTO tidemark.exported_days (source, event_date, "
                        + "covers_changes, exported_at, rows, files, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)",
                SOURCE, LocalDate.parse(DAY), rows, Instant.now(), rows, 1, 1L));
    }

    private static int events() {
        return given().auth().oauth2(TOKEN).queryParam("source", SOURCE).queryParam("from", DAY).queryParam("to", DAY)
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(200).extract().path("days[0].events");
    }

    /** Neither the local stack's mart nor a later test should export this bucket-only source. */
    @AfterEach
    void forget() {
        session.execute(SimpleStatement.newInstance("DELETE FROM tidemark.changed_days WHERE source = ?", SOURCE));
        session.execute(SimpleStatement.newInstance("DELETE FROM tidemark.exported_days WHERE source = ?", SOURCE));
    }
}
