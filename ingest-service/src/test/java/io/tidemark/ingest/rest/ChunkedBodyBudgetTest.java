package io.tidemark.ingest.rest;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import static io.restassured.RestAssured.given;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.emptyString;
import static org.hamcrest.Matchers.startsWith;

/**
 * analytics-kotlin sends every upload chunked (no {@code Content-Length}) and gzipped to {@code /v1/b}.
 * Several such uploads at once fit in the buffered-body budget beside other calls, and a chunked body
 * longer than any body ingest accepts is cut off, so what a chunked upload reserves is what it can hold.
 */
@QuarkusTest
@TestProfile(ChunkedBodyBudgetTest.TwoMegabytes.class)
class ChunkedBodyBudgetTest {

    private static final Duration NOT_ANSWERED_WITHIN = Duration.ofSeconds(1);

    /** The size of the server's body cap: before the fix, a single chunked upload reserved all of it. */
    public static class TwoMegabytes implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tidemark.ingest.max-buffered-request-bytes", "2M");
        }
    }

    @TestHTTPResource("/")
    URL server;

    @Test
    void threeAndroidUploadsInFlightAtOnceAreAllTakenAndAcknowledgedBesideOtherCalls() throws Exception {
        threeUploadsAtOnceAreTakenBesideASmallCallAndAnswered200();
    }

    @Test
    void aChunkedBodyLongerThanAnyAcceptedBodyIsCutOffAndItsReservationReturned() throws Exception {
        assertThat(sendChunked(RawCalls.batchOfBytes("Chunked", 900_000).getBytes(StandardCharsets.UTF_8)), startsWith("HTTP/1.1 413"));
        // Its reservation came back: three uploads still fit together. One try takes over 3 s by itself (each held
        // upload is watched for a second), so the bound leaves room for a second one.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20))
                .untilAsserted(this::threeUploadsAtOnceAreTakenBesideASmallCallAndAnswered200);
    }

    @Test
    void chunkedBodiesCutOffByTheBodyReaderGiveTheirReservationBack() throws Exception {
        // Each is cut off by the body reader, which ends the answer itself; before, each such body kept
        // its reservation for good, and a few of them left every later call 503.
        for (int i = 0; i < 4; i++) {
            assertThat(sendChunked(RawCalls.batchOfBytes("Chunked", 2_500_000).getBytes(StandardCharsets.UTF_8)), startsWith("HTTP/1.1 413"));
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                given().auth().preemptive().basic("ingest-test-key", "").contentType("application/json")
                        .body(RawCalls.batchOfBytes("Chunked", 300_000))
                        .when().post("/v1/batch").then().statusCode(200));
    }

    /** A whole chunked batch call; the answer, or nothing if the server closed without one. */
    private String sendChunked(byte[] body) throws IOException {
        try (Socket socket = new Socket(server.getHost(), server.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(head("/v1/batch", false));
            try {
                for (int from = 0; from < body.length; from += 16 * 1024) {
                    writeChunk(out, body, from, Math.min(body.length, from + 16 * 1024));
                }
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException closedByTheServer) {
                // The server may close the connection while the rest is still being sent.
            }
            return RawCalls.readAnswer(socket, Duration.ofSeconds(10));
        }
    }

    private void threeUploadsAtOnceAreTakenBesideASmallCallAndAnswered200() throws Exception {
        List<HeldUpload> uploads = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                uploads.add(holdUpload());
            }
            for (HeldUpload upload : uploads) {
                assertThat("an upload still sending its body is not answered yet, let alone refused",
                        RawCalls.readAnswer(upload.socket(), NOT_ANSWERED_WITHIN), emptyString());
            }
            given().auth().preemptive().basic("ingest-test-key", "").contentType("application/json")
                    .body("{\"userId\":\"u\",\"event\":\"Beside\"}")
                    .when().post("/v1/track").then().statusCode(200);
            for (HeldUpload upload : uploads) {
                upload.finish();
                String answer = RawCalls.readAnswer(upload.socket(), Duration.ofSeconds(10));
                assertThat(answer, startsWith("HTTP/1.1 200"));
                assertThat(answer, containsString("\"success\":true"));
            }
        } finally {
            for (HeldUpload upload : uploads) {
                upload.socket().close();
            }
        }
    }

    /** An upload as analytics-kotlin makes it, sent but for its last gzip bytes and the closing chunk. */
    private HeldUpload holdUpload() throws IOException {
        ByteArrayOutputStream gzipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(gzipped)) {
            gzip.write(RawCalls.batchOfBytes("Chunked", 20_000).getBytes(StandardCharsets.UTF_8));
        }
        byte[] body = gzipped.toByteArray();
        Socket socket = new Socket(server.getHost(), server.getPort());
        OutputStream out = socket.getOutputStream();
        out.write(head("/v1/b", true));
        int held = body.length - 16;
        writeChunk(out, body, 0, held);
        out.flush();
        return new HeldUpload(socket, body, held);
    }

    private record HeldUpload(Socket socket, byte[] body, int sent) {
        void finish() throws IOException {
            OutputStream out = socket.getOutputStream();
            writeChunk(out, body, sent, body.length);
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
    }

    private static byte[] head(String path, boolean gzip) {
        return ("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + RawCalls.AUTHORIZATION
                + "\r\nContent-Type: application/json\r\n" + (gzip ? "Content-Encoding: gzip\r\n" : "")
                + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static void writeChunk(OutputStream out, byte[] body, int from, int to) throws IOException {
        out.write((Integer.toHexString(to - from) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body, from, to - from);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
}
