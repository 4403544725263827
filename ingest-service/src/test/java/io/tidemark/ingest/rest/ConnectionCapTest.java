package io.tidemark.ingest.rest;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.startsWith;

/**
 * {@code quarkus.http.limits.max-connections} bounds every open connection, including those that have
 * not sent a whole request head: a client that opens connections and sends nothing, or drips its headers,
 * must not hold more of them than the cap while the idle timeout runs.
 */
@QuarkusTest
@TestProfile(ConnectionCapTest.SmallCap.class)
class ConnectionCapTest {

    private static final int CAP = 8;

    /** A cap small enough to reach within a test; the idle timeout stays long so that nothing else cuts the holders. */
    public static class SmallCap implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.http.limits.max-connections", Integer.toString(CAP),
                    "quarkus.http.idle-timeout", "30s");
        }
    }

    @TestHTTPResource("/")
    URL server;

    @Test
    void connectionsThatSendNothingCountTowardTheCap() throws IOException {
        assertCapHoldsWhileOpenAndFreesOnClose("");
    }

    @Test
    void connectionsThatDripTheirHeadersCountTowardTheCap() throws IOException {
        assertCapHoldsWhileOpenAndFreesOnClose("POST /v1/track HTTP/1.1\r\nHost: localhost\r\nContent-Type: app");
    }

    private void assertCapHoldsWhileOpenAndFreesOnClose(String unfinishedHead) throws IOException {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < CAP; i++) {
                Socket socket = new Socket(server.getHost(), server.getPort());
                held.add(socket);
                if (!unfinishedHead.isEmpty()) {
                    socket.getOutputStream().write(unfinishedHead.getBytes(StandardCharsets.US_ASCII));
                    socket.getOutputStream().flush();
                }
            }
            // The server registers a connection on its event loop, a moment after the client's connect returns.
            await().atMost(Duration.ofSeconds(5)).until(() -> liveness().isEmpty());
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> !liveness().isEmpty());
        assertThat(liveness(), startsWith("HTTP/1.1 200"));
    }

    /**
     * The status line of a GET of a source's SDK settings (public, 200 for a known key) on a new
     * connection; "" when the server closed it unanswered.
     */
    private String liveness() throws IOException {
        try (Socket socket = new Socket(server.getHost(), server.getPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(("GET /v1/projects/ingest-test-key/settings HTTP/1.1\r\nHost: localhost\r\n"
                    + "Connection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            return answer.isEmpty() ? "" : answer.substring(0, answer.indexOf("\r\n"));
        } catch (java.net.SocketException reset) {
            return "";
        }
    }
}
