package io.tidemark.mart.rest;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.restassured.RestAssured.given;
import static io.tidemark.mart.rest.StoredEvents.TOKEN;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

/**
 * The configured consistency level reaches the mart's Cassandra reads. The local stack is one node,
 * so a level of THREE cannot be met: if the reads use it, they fail; with the driver's default
 * (LOCAL_ONE) they would succeed. The default, LOCAL_QUORUM, is what every other test runs with.
 */
@QuarkusTest
@TestProfile(CassandraConsistencyTest.ConsistencyOfThree.class)
@QuarkusTestResource(TempMartRoot.class)
class CassandraConsistencyTest {

    /** A level a single node cannot meet. */
    public static class ConsistencyOfThree implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tidemark.mart.cassandra.consistency", "THREE");
        }
    }

    @Test
    void theLedgerReadsUseTheConfiguredConsistencyLevel() {
        // Both read the change ledger; neither may answer from fewer replicas than asked for.
        given().auth().oauth2(TOKEN).when().get("/api/v1/sources")
                .then().statusCode(500).contentType("application/problem+json").body("status", equalTo(500));
        given().auth().oauth2(TOKEN).when().get("/api/v1/exports")
                .then().statusCode(500).contentType("application/problem+json");
    }

    @Test
    void anExportReadsTheIndexAndLedgersAtTheConfiguredLevelAndFailsWithoutThem() {
        // The source fails, as any source whose lease or ledgers cannot be read, and is listed so.
        given().auth().oauth2(TOKEN).queryParam("source", "dev")
                .when().post("/api/v1/exports")
                .then().statusCode(200).body("exported", hasSize(0)).body("failed", hasSize(1))
                .body("failed[0].source", equalTo("dev")).body("failed[0].reason", containsString("THREE"));
    }
}
