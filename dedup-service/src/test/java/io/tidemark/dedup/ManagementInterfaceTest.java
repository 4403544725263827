package io.tidemark.dedup;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** Health and metrics answer on the management port only, which a cluster keeps to itself. */
@QuarkusTest
class ManagementInterfaceTest {

    /** The management interface's root, {@code /q/} on its own port. */
    @TestHTTPResource(value = "/", management = true)
    URL management;

    @Test
    void healthAndMetricsAnswerOnTheManagementPort() {
        // Ready once its checks have passed, which may be a moment after the application started.
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().when().get(management + "health/ready")
                .then().statusCode(200).body("status", equalTo("UP")));
        given().when().get(management + "health/live").then().statusCode(200);
        given().when().get(management + "metrics").then().statusCode(200).body(containsString("jvm_memory_used_bytes"));
    }

    @Test
    void theMainPortDoesNotServeThem() {
        for (String path : List.of("/q/health", "/q/health/ready", "/q/metrics")) {
            given().when().get(path).then().statusCode(404);
        }
    }
}
