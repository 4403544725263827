package io.tidemark.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.testsupport.ServiceProcess;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;

/** Calls to a mart process, as a dashboard makes them, with the pipeline tests' read token. */
final class MartCall {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private MartCall() {
    }

    /** Exports {@code source} now, then answers its events per day from the API; none before its first export. */
    static Map<LocalDate, Long> dailyEvents(ServiceProcess mart, String source, LocalDate from, LocalDate to)
            throws Exception {
        HTTP.send(HttpRequest.newBuilder(mart.uri("/api/v1/exports?source=" + source))
                .header("Authorization", "Bearer " + SdkPipeline.READ_TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding());
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(mart.uri(
                        "/api/v1/metrics/daily?source=" + source + "&from=" + from + "&to=" + to))
                .header("Authorization", "Bearer " + SdkPipeline.READ_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        Map<LocalDate, Long> days = new LinkedHashMap<>();
        if (response.statusCode() == 200) {
            for (JsonNode day : JSON.readTree(response.body()).get("days")) {
                days.put(LocalDate.parse(day.get("date").asText()), day.get("events").asLong());
            }
        }
        return days;
    }
}
