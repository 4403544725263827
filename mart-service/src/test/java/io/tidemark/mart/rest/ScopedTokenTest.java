package io.tidemark.mart.rest;

import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItems;

/** A token scoped to some sources reads only those; the demo token still reads every source and exports. */
@QuarkusTest
@TestProfile(ScopedTokenTest.TwoScopedTokens.class)
@QuarkusTestResource(TempMartRoot.class)
class ScopedTokenTest {

    static final String SOURCE_A = "scoped-a";
    static final String SOURCE_B = "scoped-b";
    static final String TOKEN_A = "token-of-a";

    /** The demo token of the test profile plus one token that reads only source A. */
    public static class TwoScopedTokens implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tidemark.mart.tokens.team-a.token", TOKEN_A,
                    "tidemark.mart.tokens.team-a.sources", SOURCE_A);
        }
    }

    @Inject
    QuarkusCqlSession session;

    // Fixed names, because the profile's configuration names them: their rows accumulate across
    // runs, so counts are asserted as present, not exact.
    @BeforeEach
    void storeAndExportBothSources() {
        for (String source : List.of(SOURCE_A, SOURCE_B)) {
            StoredEvents events = new StoredEvents(session, source);
            events.store("2026-11-01T08:00:00Z", "Viewed", "u-1", null);
            events.export();
        }
    }

    @Test
    void aTokenForSourceAReadsSourceA() {
        given().auth().oauth2(TOKEN_A)
                .queryParam("source", SOURCE_A).queryParam("from", "2026-11-01").queryParam("to", "2026-11-01")
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(200).body("days[0].events", greaterThan(0));
    }

    @Test
    void aTokenForSourceAIsForbiddenEverySourceBMetricNamingTheSource() {
        forbidden("/api/v1/metrics/daily", "from", "2026-11-01", "to", "2026-11-01");
        forbidden("/api/v1/metrics/active-users", "date", "2026-11-01");
        forbidden("/api/v1/metrics/top-events", "from", "2026-11-01", "to", "2026-11-01");
    }

    @Test
    void aTokenForSourceAListsOnlySourceA() {
        given().auth().oauth2(TOKEN_A).when().get("/api/v1/sources")
                .then().statusCode(200).body("$", equalTo(List.of(SOURCE_A)));
    }

    @Test
    void theDemoTokenStillListsAndReadsEverySource() {
        given().auth().oauth2(StoredEvents.TOKEN).when().get("/api/v1/sources")
                .then().statusCode(200).body("$", hasItems(SOURCE_A, SOURCE_B));
        given().auth().oauth2(StoredEvents.TOKEN)
                .queryParam("source", SOURCE_B).queryParam("from", "2026-11-01").queryParam("to", "2026-11-01")
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(200).body("days[0].events", greaterThan(0));
    }

    private static void forbidden(String path, String... parameters) {
        var request = given().auth().oauth2(TOKEN_A).queryParam("source", SOURCE_B);
        for (int i = 0; i < parameters.length; i += 2) {
            request = request.queryParam(parameters[i], parameters[i + 1]);
        }
        request.when().get(path)
                .then().statusCode(403).contentType("application/problem+json")
                .body("status", equalTo(403)).body("field", equalTo("source"));
    }

    @Test
    void aReadTokenIsForbiddenToRunOrListExports() {
        given().auth().oauth2(TOKEN_A).queryParam("source", SOURCE_A)
                .when().post("/api/v1/exports")
                .then().statusCode(403).contentType("application/problem+json")
                .body("status", equalTo(403)).body("field", equalTo("Authorization"));
        given().auth().oauth2(TOKEN_A).queryParam("source", SOURCE_A)
                .when().get("/api/v1/exports")
                .then().statusCode(403).body("field", equalTo("Authorization"));
    }
}
