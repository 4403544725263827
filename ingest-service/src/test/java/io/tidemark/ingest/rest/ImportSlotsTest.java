package io.tidemark.ingest.rest;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One source's imports never take every import slot: with two of its imports held open (a slow upload, a stuck
 * loader), a third of the same source is answered 429 and named the per-source cap, while another source's import
 * runs and is stored; the held imports then finish whole.
 */
@QuarkusTest
class ImportSlotsTest {

    private static final String LINE = "{\"type\":\"track\",\"userId\":\"slots\",\"event\":\"Held Import\"}\n";

    @TestHTTPResource
    URL server;

    @Test
    void aSourceHoldingTwoImportsLeavesASlotForAnotherSource() throws IOException {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                held.add(openImport("ingest-test-key"));
            }
            await("a third import of the same source is refused").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> importOf("ingest-test-key").statusCode() == 429);
            importOf("ingest-test-key").then().statusCode(429).contentType("application/problem+json")
                    .header("Retry-After", equalTo("5"))
                    .body("detail", containsString("ingest-test"))
                    .body("detail", containsString("max-concurrent-per-source"));

            // The other source's import runs beside them.
            importOf("dev-write-key").then().statusCode(200).body("accepted", equalTo(1));

            for (Socket socket : held) {
                String answer = finish(socket);
                assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
                assertTrue(answer.contains("\"accepted\":2"), answer);
            }
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    private static Response importOf(String writeKey) {
        return given().auth().preemptive().basic(writeKey, "").contentType("application/x-ndjson")
                .body(LINE.getBytes(StandardCharsets.UTF_8)).when().post(ImportRoute.PATH);
    }

    /** An import whose first line is sent and whose body is still open: it holds its slot until finished. */
    private Socket openImport(String writeKey) throws IOException {
        Socket socket = new Socket(server.getHost(), server.getPort());
        socket.setSoTimeout(30_000);
        String basic = Base64.getEncoder().encodeToString((writeKey + ":").getBytes(StandardCharsets.US_ASCII));
        OutputStream out = socket.getOutputStream();
        out.write(("POST " + ImportRoute.PATH + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic " + basic
                + "\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        chunk(out, LINE);
        return socket;
    }

    /** Sends the second line and the end of the body, and reads the answer. */
    private static String finish(Socket socket) throws IOException {
        OutputStream out = socket.getOutputStream();
        chunk(out, LINE);
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        StringBuilder answer = new StringBuilder();
        byte[] buffer = new byte[4096];
        int read;
        while (!answer.toString().contains("}") && (read = in.read(buffer)) > 0) {
            answer.append(new String(buffer, 0, read, StandardCharsets.UTF_8));
        }
        return answer.toString();
    }

    private static void chunk(OutputStream out, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }
}
