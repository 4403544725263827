package io.tidemark.ingest.rest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;

/** Calls written byte by byte on a socket, for the tests of bodies held, dripped or cut off. */
final class RawCalls {

    /** The Authorization header of the test profile's write key ("ingest-test-key", no password). */
    static final String AUTHORIZATION = "Basic aW5nZXN0LXRlc3Qta2V5Og==";

    private RawCalls() {
    }

    /** What the server sent: its whole answer, or what came before it closed or went quiet for {@code quiet}. */
    static String readAnswer(Socket socket, Duration quiet) throws IOException {
        socket.setSoTimeout((int) quiet.toMillis());
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        try {
            InputStream in = socket.getInputStream();
            for (int n; (n = in.read(buffer)) >= 0; ) {
                received.write(buffer, 0, n);
                if (complete(received.toString(StandardCharsets.ISO_8859_1))) {
                    break;
                }
            }
        } catch (SocketTimeoutException quietFor) {
            // answered (or not) and left open
        } catch (IOException reset) {
            // the server closed the connection after its answer
        }
        return received.toString(StandardCharsets.ISO_8859_1);
    }

    /** An answer whose body has arrived as long as its Content-Length says. */
    private static boolean complete(String answer) {
        int end = answer.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        for (String line : answer.substring(0, end).split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                return answer.length() - end - 4 >= Integer.parseInt(line.substring(15).trim());
            }
        }
        return false;
    }

    /** A valid batch of small track calls named {@code event}, about {@code size} bytes long. */
    static String batchOfBytes(String event, int size) {
        StringBuilder batch = new StringBuilder("{\"batch\":[");
        while (batch.length() < size - 200) {
            batch.append("{\"type\":\"track\",\"event\":\"").append(event).append("\",\"userId\":\"u\",\"messageId\":\"")
                    .append(UUID.randomUUID()).append("\"},");
        }
        batch.setLength(batch.length() - 1);
        return batch.append("]}").toString();
    }
}
