package io.tidemark.mart.rest;

import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.restassured.path.json.JsonPath;

import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItems;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A token scoped to some sources reads only those, and an operator token so scoped lists and runs the
 * exports of those only; the demo token still reads every source and exports.
 */
@QuarkusTest
@TestProfile(ScopedTokenTest.TwoScopedTokens.class)
@QuarkusTestResource(TempMartRoot.class)
class ScopedTokenTest {

    static final String SOURCE_A = "scoped-a";
    static final String SOURCE_B = "scoped-b";
    static final String TOKEN_A = "token-of-a";
    static final String OPERATOR_A = "operator-of-a";

    /** The demo token of the test profile, one token that reads only source A, and an operator token of A. */
    public static class TwoScopedTokens implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tidemark.mart.tokens.team-a.token", TOKEN_A,
                    "tidemark.mart.tokens.team-a.sources", SOURCE_A,
                    "tidemark.mart.tokens.team-a-ops.token", OPERATOR_A,
                    "tidemark.mart.tokens.team-a-ops.sources", SOURCE_A,
                    "tidemark.mart.tokens.team-a-ops.operator", "true");
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

    @Test
    void anOperatorTokenOfSourceAListsAndRunsTheExportsOfSourceAOnly() {
        List<String> listed = given().auth().oauth2(OPERATOR_A).when().get("/api/v1/exports")
                .then().statusCode(200).extract().jsonPath().getList("source", String.class);
        assertTrue(listed.contains(SOURCE_A), () -> "listed: " + listed);
        assertEquals(List.of(SOURCE_A), listed.stream().distinct().toList());
        given().auth().oauth2(OPERATOR_A).queryParam("source", SOURCE_B).when().get("/api/v1/exports")
                .then().statusCode(403).body("field", equalTo("source"));

        // A change of B waits; A's operator runs a cycle of every source it may export: B's is not among them.
        new StoredEvents(session, SOURCE_B).store("2026-11-02T08:00:00Z", "Viewed", "u-2", null);
        JsonPath summary = given().auth().oauth2(OPERATOR_A).when().post("/api/v1/exports")
                .then().statusCode(200).extract().jsonPath();
        assertEquals(1, summary.getInt("sources"), summary::prettify);
        assertFalse(summary.getList("exported.source", String.class).contains(SOURCE_B), summary::prettify);
        assertEquals(1, new StoredEvents(session, SOURCE_B).export(), "B's change was still waiting");
    }
}
