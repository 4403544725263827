package io.tidemark.e2e;

import io.tidemark.testsupport.ServiceProcess;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/** One track call to an ingest process, as an SDK makes it, and its answer. */
final class IngestCall {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private IngestCall() {
    }

    static HttpResponse<String> track(ServiceProcess ingest, String writeKey, String messageId, String event)
            throws Exception {
        String body = "{\"messageId\":\"" + messageId + "\",\"userId\":\"u-1\",\"event\":\"" + event + "\"}";
        String basic = Base64.getEncoder().encodeToString((writeKey + ":").getBytes(StandardCharsets.UTF_8));
        return HTTP.send(HttpRequest.newBuilder(ingest.uri("/v1/track")).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Basic " + basic).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
