package io.tidemark.ingest.mqtt;

import io.tidemark.ingest.ManagementPort;

import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;

/** Reads {@code tidemark_ingest_device_messages_total} and the rejected events from the running service's Prometheus endpoint. */
final class DeviceMetrics {

    private static final String NAME = "tidemark_ingest_device_messages_total{";
    private static final String REJECTED = "tidemark_ingest_events_rejected_total{";

    private DeviceMetrics() {
    }

    /** {@code tidemark_ingest_mqtt_connections_lost_total}: broker connections closed while ingest ran. */
    static double connectionsLost() {
        List<String> samples = samples(line -> line.startsWith("tidemark_ingest_mqtt_connections_lost_total"));
        if (samples.isEmpty()) {
            throw new AssertionError("no tidemark_ingest_mqtt_connections_lost_total in the metrics");
        }
        return total(samples);
    }

    static double value(String source, String outcome) {
        return total(samples(line -> line.startsWith(NAME) && line.contains("source=\"" + source + "\"")
                && line.contains("outcome=\"" + outcome + "\"") && line.contains("channel=\"mqtt\"")));
    }

    /** {@code tidemark_ingest_events_rejected_total} of a source and reason, whatever the channel. */
    static double rejected(String source, String reason) {
        return total(samples(line -> line.startsWith(REJECTED) && line.contains("source=\"" + source + "\"")
                && line.contains("reason=\"" + reason + "\"")));
    }

    /** The lines of the Prometheus endpoint's answer that {@code sample} accepts. */
    private static List<String> samples(Predicate<String> sample) {
        String body = given().when().get(ManagementPort.url("metrics")).then().statusCode(200).extract().asString();
        return Stream.of(body.split("\n")).filter(sample).toList();
    }

    private static double total(List<String> samples) {
        return samples.stream().mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    static void awaitAbove(String source, String outcome, double before, Duration timeout) {
        org.awaitility.Awaitility.await("device messages source=" + source + " outcome=" + outcome + " above " + before)
                .atMost(timeout).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(200))
                .until(() -> value(source, outcome), now -> now > before);
    }
}
