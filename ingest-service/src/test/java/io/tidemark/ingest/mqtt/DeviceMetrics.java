package io.tidemark.ingest.mqtt;

import io.tidemark.ingest.ManagementPort;

import java.time.Duration;

import static io.restassured.RestAssured.given;

/** Reads {@code tidemark_ingest_device_messages_total} and the rejected events from the running service's Prometheus endpoint. */
final class DeviceMetrics {

    private static final String NAME = "tidemark_ingest_device_messages_total{";
    private static final String REJECTED = "tidemark_ingest_events_rejected_total{";

    private DeviceMetrics() {
    }

    /** {@code tidemark_ingest_mqtt_connections_lost_total}: broker connections closed while ingest ran. */
    static double connectionsLost() {
        String body = given().when().get(ManagementPort.url("metrics")).then().statusCode(200).extract().asString();
        for (String line : body.split("\n")) {
            if (line.startsWith("tidemark_ingest_mqtt_connections_lost_total")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no tidemark_ingest_mqtt_connections_lost_total in the metrics");
    }

    static double value(String source, String outcome) {
        String body = given().when().get(ManagementPort.url("metrics")).then().statusCode(200).extract().asString();
        double sum = 0;
        for (String line : body.split("\n")) {
            if (line.startsWith(NAME) && line.contains("source=\"" + source + "\"")
                    && line.contains("outcome=\"" + outcome + "\"") && line.contains("channel=\"mqtt\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** {@code tidemark_ingest_events_rejected_total} of a source and reason, whatever the channel. */
    static double rejected(String source, String reason) {
        String body = given().when().get(ManagementPort.url("metrics")).then().statusCode(200).extract().asString();
        double sum = 0;
        for (String line : body.split("\n")) {
            if (line.startsWith(REJECTED) && line.contains("source=\"" + source + "\"") && line.contains("reason=\"" + reason + "\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    static void awaitAbove(String source, String outcome, double before, Duration timeout) {
        org.awaitility.Awaitility.await("device messages source=" + source + " outcome=" + outcome + " above " + before)
                .atMost(timeout).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(200))
                .until(() -> value(source, outcome), now -> now > before);
    }
}
