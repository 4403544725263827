package io.tidemark.ingest.rest;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.ingest.ManagementPort;
import io.tidemark.ingest.TopicTail;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A connection costs the service memory and a slot under the connection cap for as long as it stays
 * open: one that sends nothing, or drips its request head or body byte by byte, or an import that streams on too
 * long or decompresses into far more than it sent, is cut within the configured time or size.
 */
@QuarkusTest
@TestProfile(ConnectionLimitsTest.ShortLimits.class)
class ConnectionLimitsTest {

    /** Limits small enough to reach within a test. */
    public static class ShortLimits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "quarkus.http.idle-timeout", "1s",
                    "tidemark.ingest.request-read-timeout", "2s",
                    "tidemark.ingest.import.max-decompressed-bytes", "64K",
                    "tidemark.ingest.import.max-duration", "2s");
        }
    }

    @TestHTTPResource("/")
    URL server;

    @Test
    void anIdleConnectionIsClosedAfterTheIdleTimeout() throws IOException {
        try (Socket socket = new Socket(server.getHost(), server.getPort())) {
            CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> readUntilClosed(socket));
            await().atMost(Duration.ofSeconds(4)).until(answer::isDone);
            assertThat(answer.join(), equalTo(""));
        }
    }

    @Test
    void aRequestHeadThatDripsInIsClosedUnansweredAtTheIdleTimeout() throws IOException {
        try (Socket socket = new Socket(server.getHost(), server.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write("POST /v1/track HTTP/1.1\r\nHost: localhost\r\nX-Drip: ".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            AtomicBoolean closed = new AtomicBoolean();
            // A header byte every 200 ms, well within the idle timeout: Vert.x's idle check sees only whole
            // request heads, so the drip does not keep the connection alive.
            CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < 40 && !closed.get(); i++) {
                        out.write('d');
                        out.flush();
                        Thread.sleep(200);
                    }
                } catch (IOException | InterruptedException ignored) {
                    // The server cut the connection: what this test waits for.
                }
            });
            CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> readUntilClosed(socket));
            await().atMost(Duration.ofSeconds(4)).until(answer::isDone);
            closed.set(true);
            assertThat(answer.join(), equalTo(""));
        }
    }

    @Test
    void aRequestWhoseBodyDripsInIsCutUnansweredAtTheReadTimeoutForItsClientToSendItAgain() throws IOException {
        double cutBefore = cutRequests();
        try (Socket socket = new Socket(server.getHost(), server.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/track HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic aW5nZXN0LXRlc3Qta2V5Og==\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long sent = System.nanoTime();
            AtomicBoolean closed = new AtomicBoolean();
            // One byte every half second keeps the connection from ever being idle.
            CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < 40 && !closed.get(); i++) {
                        out.write('{');
                        out.flush();
                        Thread.sleep(500);
                    }
                } catch (IOException | InterruptedException ignored) {
                    // The server cut the connection: what this test waits for.
                }
            });
            CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> readUntilClosed(socket));
            await().atMost(Duration.ofSeconds(6)).until(answer::isDone);
            Duration open = Duration.ofNanos(System.nanoTime() - sent);
            closed.set(true);
            // No 408: analytics-java and analytics-kotlin drop a batch answered with one, and resend after a dropped connection.
            assertThat(answer.join(), equalTo(""));
            assertTrue(open.compareTo(Duration.ofMillis(1800)) >= 0, "cut by the 2 s read deadline, not before: " + open);
        }
        assertEquals(cutBefore + 1, cutRequests(), "counted as cut");
    }

    private static double cutRequests() {
        String metrics = given().when().get(ManagementPort.url("metrics")).then().statusCode(200).extract().asString();
        Matcher line = Pattern.compile("(?m)^tidemark_ingest_requests_cut_total\\{reason=\"body-too-slow\"\\} (\\S+)$")
                .matcher(metrics);
        return line.find() ? Double.parseDouble(line.group(1)) : 0;
    }

    @Test
    void aGzipImportThatDecompressesBeyondTheCapIsRefused413() throws IOException {
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            file.append("{\"type\":\"track\",\"userId\":\"bomb\",\"event\":\"Expanding\",\"properties\":{\"pad\":\"")
                    .append("z".repeat(200)).append("\"}}\n");
        }
        byte[] gzip = RequestBodyDecoderTest.gzip(file.toString().getBytes(StandardCharsets.UTF_8));
        given().auth().preemptive().basic("ingest-test-key", "").contentType("application/x-ndjson")
                .header("Content-Encoding", "gzip").body(gzip)
                .when().post("/bulk/v1/import")
                .then().statusCode(413).contentType("application/problem+json")
                .body("field", equalTo("body")).body("detail", containsString("decompress"));
    }

    @Test
    void anImportThatStreamsLongerThanItsDeadlineIsAnswered408AndTheLinesBeforeItAreStored() throws IOException {
        String event = "Dripped " + UUID.randomUUID();
        try (TopicTail raw = new TopicTail(TopicTail.RAW);
                Socket socket = new Socket(server.getHost(), server.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /bulk/v1/import HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic aW5nZXN0LXRlc3Qta2V5Og==\r\n"
                    + "Content-Type: application/x-ndjson\r\nContent-Length: 100000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            AtomicBoolean closed = new AtomicBoolean();
            // A line every 300 ms, the last one cut in half: never idle, never done.
            CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < 40 && !closed.get(); i++) {
                        out.write(("{\"type\":\"track\",\"userId\":\"slow\",\"event\":\"" + event + "\",\"properties\":{\"n\":" + i
                                + "}}\n{\"type\":").getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        Thread.sleep(150);
                        out.write("\"track\",\"userId\":\"slow\",\"event\":\"other\"}\n".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        Thread.sleep(150);
                    }
                } catch (IOException | InterruptedException ignored) {
                    // The server cut the connection: what this test waits for.
                }
            });
            CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> readUntilClosed(socket));
            await().atMost(Duration.ofSeconds(6)).until(answer::isDone);
            closed.set(true);
            String text = answer.join();
            assertThat(text, containsString("408"));
            assertThat(text, containsString("import-too-slow"));
            Matcher rest = Pattern.compile("send the rest from line (\\d+)").matcher(text);
            assertTrue(rest.find(), text);
            long firstUnread = Long.parseLong(rest.group(1));
            assertTrue(firstUnread > 2, "some lines arrived whole in 2 s: " + text);
            // Odd lines carry the event; every one before the line named is stored, none after it.
            long stored = (firstUnread - 1 + 1) / 2;
            List<ConsumerRecord<String, byte[]>> records = raw.readUntil(found -> dripped(found, event).size() >= stored,
                    Duration.ofSeconds(10));
            assertEquals(stored, dripped(records, event).size(), text);
        }
    }

    private static List<CollectedEvent> dripped(List<ConsumerRecord<String, byte[]>> records, String event) {
        return records.stream().map(r -> EventCodec.decode(r.value())).filter(e -> event.equals(e.event())).toList();
    }

    /** Everything the server sends until it closes the connection; "" when it sent nothing. */
    private static String readUntilClosed(Socket socket) {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        try {
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                received.write(buffer, 0, n);
            }
        } catch (SocketException reset) {
            // A reset closes the connection as surely as a FIN.
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return received.toString(StandardCharsets.ISO_8859_1);
    }
}
