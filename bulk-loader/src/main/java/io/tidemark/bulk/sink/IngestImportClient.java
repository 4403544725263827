package io.tidemark.bulk.sink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.bulk.config.JobConfig;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Sends NDJSON chunks to ingest's {@code POST /bulk/v1/import} with the source's write key. A chunk
 * refused for now (429 busy or rate-limited, 503 Kafka unavailable, a dropped connection) is sent
 * again after {@code Retry-After}: its messageIds make a resend store nothing twice.
 */
public final class IngestImportClient {

    static final String PATH = "/bulk/v1/import";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_PAUSE_SECONDS = 60;

    /**
     * One client for the run: its pool keeps a connection per chunk in flight open between chunks. HTTP/1.1
     * because ingest listens without TLS, where the default HTTP/2 would only add an h2c upgrade attempt.
     */
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final URI uri;
    private final String authorization;
    private final JobConfig.Ingest config;
    private final Consumer<String> progress;

    public IngestImportClient(JobConfig.Ingest config, String writeKey, Consumer<String> progress) {
        this.uri = URI.create(config.url() + PATH);
        this.authorization = "Basic " + Base64.getEncoder().encodeToString((writeKey + ":").getBytes(StandardCharsets.UTF_8));
        this.config = config;
        this.progress = progress;
    }

    /**
     * Sends one chunk, its body as consecutive arrays, and answers once ingest acknowledged it; throws
     * when it could not be stored: after {@code max-attempts} failures, or once ingest has answered 429
     * (busy, or the source's rate limit) for longer than {@code busy-wait}. A 429 is ingest asking the
     * loader to wait its turn, not a failure, so it counts no attempt.
     */
    public ImportAnswer send(List<byte[]> ndjson) throws IngestUnavailableException, InterruptedException {
        long length = 0;
        for (byte[] part : ndjson) {
            length += part.length;
        }
        String lastProblem = "";
        int failures = 0;
        int tries = 0;
        Long busySince = null;
        while (true) {
            long pauseSeconds = Math.min(MAX_PAUSE_SECONDS, 1L << Math.min(tries++, 5));
            boolean busy = false;
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(config.timeout())
                        .header("Authorization", authorization).header("Content-Type", "application/x-ndjson")
                        .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofByteArrays(ndjson), length))
                        .build(), HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status == 200) {
                    return answer(response.body());
                }
                lastProblem = status + " " + response.body();
                if (status != 429 && status != 503 && status != 408 && status < 500) {
                    throw new IngestUnavailableException("ingest refused the chunk: " + lastProblem);
                }
                busy = status == 429;
                pauseSeconds = retryAfterSeconds(response).orElse(pauseSeconds);
            } catch (IOException e) {
                lastProblem = e.toString();
            }
            pauseSeconds = Math.min(MAX_PAUSE_SECONDS, Math.max(1, pauseSeconds));
            if (busy) {
                long now = System.nanoTime();
                busySince = busySince == null ? now : busySince;
                if (now - busySince + TimeUnit.SECONDS.toNanos(pauseSeconds) > config.busyWait().toNanos()) {
                    throw new IngestUnavailableException("ingest stayed busy with a chunk for longer than ingest.busy-wait ("
                            + config.busyWait() + "): " + lastProblem.strip());
                }
            } else if (++failures >= config.maxAttempts()) {
                throw new IngestUnavailableException("ingest did not store a chunk after " + failures
                        + " failed attempts: " + lastProblem.strip());
            }
            progress.accept("ingest: " + lastProblem.strip() + "; sending the chunk again in " + pauseSeconds + " s");
            Thread.sleep(pauseSeconds * 1000);
        }
    }

    /**
     * The answer's {@code Retry-After}, in seconds or as an HTTP date (RFC 9110 allows both, and a proxy in
     * front of ingest may send a date); empty when absent or unreadable, so the client's own pause applies.
     * A date used to throw out of the run.
     */
    static OptionalLong retryAfterSeconds(HttpResponse<?> response) {
        Optional<String> header = response.headers().firstValue("Retry-After");
        if (header.isEmpty()) {
            return OptionalLong.empty();
        }
        String value = header.get().trim();
        try {
            return OptionalLong.of(Math.max(0, Long.parseLong(value)));
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                return OptionalLong.of(Math.max(0, Duration.between(Instant.now(), at).toSeconds()));
            } catch (DateTimeParseException neither) {
                return OptionalLong.empty();
            }
        }
    }

    private static ImportAnswer answer(String body) throws IOException {
        JsonNode json = JSON.readTree(body);
        List<ImportAnswer.RejectedLine> rejected = new ArrayList<>();
        for (JsonNode line : json.path("rejected")) {
            rejected.add(new ImportAnswer.RejectedLine(line.path("line").asLong(), line.path("field").asText(null),
                    line.path("reason").asText(null)));
        }
        return new ImportAnswer(json.path("lines").asLong(), json.path("accepted").asLong(),
                json.path("rejectedCount").asLong(), rejected);
    }
}
