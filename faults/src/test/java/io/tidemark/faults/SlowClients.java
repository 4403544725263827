package io.tidemark.faults;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Clients that hold ingest's connections without finishing a request, over plain sockets: some send
 * nothing, some drip their headers a byte a second, some drip a body a few bytes a second. Each runs
 * until the server closes its connection or a bound passes, and reports what it got and when.
 */
final class SlowClients {

    private static final Duration DRIP_EVERY = Duration.ofSeconds(1);
    private static final Duration POLL = Duration.ofMillis(100);
    /** A body far larger than what is dripped before any sane deadline. */
    private static final int DRIPPED_BODY_LENGTH = 100 * 1024;

    /** What one connection got: the bytes the server sent before it closed, and when it closed (null: never). */
    record Outcome(String kind, byte[] received, Duration closedAfter) {

        /** The status of the answer, or -1 when the server closed without one. */
        int status() {
            String text = text();
            if (!text.startsWith("HTTP/1.1 ")) {
                return -1;
            }
            return Integer.parseInt(text.substring(9, 12));
        }

        String text() {
            return new String(received, StandardCharsets.ISO_8859_1);
        }

        String header(String name) {
            for (String line : text().split("\r\n")) {
                if (line.isEmpty()) {
                    break;
                }
                if (line.toLowerCase(java.util.Locale.ROOT).startsWith(name.toLowerCase(java.util.Locale.ROOT) + ":")) {
                    return line.substring(name.length() + 1).trim();
                }
            }
            return "";
        }

        String body() {
            String text = text();
            int end = text.indexOf("\r\n\r\n");
            return end < 0 ? "" : text.substring(end + 4);
        }

        @Override
        public String toString() {
            String text = text();
            return kind + " closed after " + closedAfter + ", got " + (text.isEmpty() ? "nothing"
                    : text.substring(0, Math.min(200, text.length())).replace("\r\n", " | "));
        }
    }

    private final int port;
    private final String authorization;

    SlowClients(int port, String authorization) {
        this.port = port;
        this.authorization = authorization;
    }

    /** {@code count} connections that send nothing at all. */
    List<Outcome> idle(int count, Duration bound) throws IOException, InterruptedException {
        return run("idle", count, bound, new byte[0], null);
    }

    /** {@code count} connections that send a request line, then one header byte a second, never ending the head. */
    List<Outcome> headerDrip(int count, Duration bound) throws IOException, InterruptedException {
        byte[] head = ("POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nX-Drip: ").getBytes(StandardCharsets.US_ASCII);
        return run("header-drip", count, bound, head, new byte[] {'d'});
    }

    /** {@code count} authenticated {@code POST /v1/batch} whose 100 KB body comes in a few bytes a second. */
    List<Outcome> bodyDrip(int count, Duration bound) throws IOException, InterruptedException {
        byte[] head = ("POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAuthorization: " + authorization
                + "\r\nContent-Type: application/json\r\nContent-Length: " + DRIPPED_BODY_LENGTH + "\r\n\r\n{\"batch\":[")
                .getBytes(StandardCharsets.US_ASCII);
        return run("body-drip", count, bound, head, "{\"a\":".getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * {@code count} authenticated {@code POST /v1/batch} that send a valid batch of {@code length} bytes
     * whole but for its last byte, then hold it: each costs the server a buffered body until it is cut.
     */
    List<Outcome> heldBodies(int count, int length, Duration bound) throws IOException, InterruptedException {
        StringBuilder batch = new StringBuilder("{\"batch\":[");
        while (batch.length() < length - 200) {
            batch.append("{\"type\":\"track\",\"event\":\"Held\",\"userId\":\"u\",\"messageId\":\"")
                    .append(java.util.UUID.randomUUID()).append("\"},");
        }
        batch.setLength(batch.length() - 1);
        byte[] body = batch.append("]}").toString().getBytes(StandardCharsets.US_ASCII);
        byte[] head = ("POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAuthorization: " + authorization
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] allButLast = java.util.Arrays.copyOf(head, head.length + body.length - 1);
        System.arraycopy(body, 0, allButLast, head.length, body.length - 1);
        return run("held-body", count, bound, allButLast, null);
    }

    /**
     * Opens {@code count} connections that each send {@code head}, then {@code drip} every second (none when
     * null), and watches them until every one is closed by the server or {@code bound} passes; closes all.
     */
    private List<Outcome> run(String kind, int count, Duration bound, byte[] head, byte[] drip)
            throws IOException, InterruptedException {
        List<Held> held = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                held.add(new Held(open(), System.nanoTime()));
            }
            for (Held connection : held) {
                connection.send(head);
            }
            long start = System.nanoTime();
            long nextDrip = start + DRIP_EVERY.toNanos();
            while (System.nanoTime() - start < bound.toNanos() && held.stream().anyMatch(h -> h.closedAt == 0)) {
                boolean dripNow = drip != null && System.nanoTime() >= nextDrip;
                for (Held connection : held) {
                    if (connection.closedAt == 0) {
                        // Read first: a drip onto a connection the server has just closed would draw a reset.
                        connection.poll();
                        if (dripNow && connection.closedAt == 0) {
                            connection.send(drip);
                        }
                    }
                }
                if (dripNow) {
                    nextDrip += DRIP_EVERY.toNanos();
                }
                Thread.sleep(POLL.toMillis());
            }
            List<Outcome> outcomes = new ArrayList<>();
            for (Held connection : held) {
                outcomes.add(new Outcome(kind, connection.received.toByteArray(), connection.closedAt == 0 ? null
                        : Duration.ofNanos(connection.closedAt - connection.openedAt)));
            }
            return outcomes;
        } finally {
            for (Held connection : held) {
                connection.socket.close();
            }
        }
    }

    private Socket open() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        // A poll must not wait: the connection is either closed (EOF, reset) or quiet.
        socket.setSoTimeout(1);
        return socket;
    }

    /** One held connection: what it received and when the server closed it (0: still open). */
    private static final class Held {
        final Socket socket;
        final long openedAt;
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        long closedAt;

        Held(Socket socket, long openedAt) {
            this.socket = socket;
            this.openedAt = openedAt;
        }

        void send(byte[] bytes) {
            if (bytes.length == 0) {
                return;
            }
            try {
                socket.getOutputStream().write(bytes);
                socket.getOutputStream().flush();
            } catch (IOException closedByServer) {
                // The next poll reads what the server said before it closed, and the close itself.
            }
        }

        void poll() {
            byte[] buffer = new byte[4096];
            try {
                InputStream in = socket.getInputStream();
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    received.write(buffer, 0, n);
                }
                closedAt = System.nanoTime();
            } catch (SocketTimeoutException quiet) {
                // still open
            } catch (IOException reset) {
                closedAt = System.nanoTime();
            }
        }
    }
}
