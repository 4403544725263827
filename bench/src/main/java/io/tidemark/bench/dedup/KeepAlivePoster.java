package io.tidemark.bench.dedup;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The latency probe's sender: HTTP/1.1 POSTs of JSON over a few kept-alive connections, each with one
 * blocking thread taking requests from a shared queue, so the probe's offered rate holds whatever ingest's
 * answers take (requests wait in the queue, not in the probe's clock).
 *
 * <p>Why not the JDK's HttpClient: the probe shares two cores with the pipeline it measures, and profiled
 * under {@code bench/run latency} (async-profiler, steps 10-40 %) the probe took 0.31-0.48 of a core, most of
 * it the client's reactive exchange machinery (38 % of the probe's samples) and C2 compiling it (23 %). A
 * request here is a write and a read of a socket.
 */
final class KeepAlivePoster implements AutoCloseable {

    /** What became of one POST: {@code status} is the HTTP status, or 0 with {@code error} set. */
    interface Answer {
        void answered(int status, IOException error);
    }

    private record Request(byte[] body, Answer answer) {
    }

    private static final byte[] CRLF = {'\r', '\n'};
    private static final Request STOP = new Request(new byte[0], (status, error) -> { });

    private final InetSocketAddress address;
    private final byte[] head;
    private final int timeoutMillis;
    private final BlockingQueue<Request> queue = new LinkedBlockingQueue<>();
    private final List<Thread> workers = new ArrayList<>();

    /** {@code connections} threads, each opening its connection on its first request. */
    KeepAlivePoster(URI endpoint, String authorization, int connections, Duration timeout) {
        this.address = new InetSocketAddress(endpoint.getHost(), endpoint.getPort());
        this.head = ("POST " + endpoint.getRawPath() + " HTTP/1.1\r\nHost: " + endpoint.getHost() + ":" + endpoint.getPort()
                + "\r\nContent-Type: application/json\r\nAuthorization: " + authorization + "\r\nContent-Length: ")
                .getBytes(StandardCharsets.US_ASCII);
        this.timeoutMillis = Math.toIntExact(timeout.toMillis());
        for (int i = 0; i < connections; i++) {
            Thread worker = new Thread(this::work, "probe-sender-" + i);
            worker.setDaemon(true);
            workers.add(worker);
            worker.start();
        }
    }

    /** Queues one POST; {@code answer} runs on a sender thread once the response was read or the request failed. */
    void post(byte[] body, Answer answer) {
        queue.add(new Request(body, answer));
    }

    private void work() {
        Connection connection = null;
        try {
            for (Request request = queue.take(); request != STOP; request = queue.take()) {
                // A kept-alive connection the server closed meanwhile fails before any answer: one new connection
                // is tried. Sending a batch twice is what SDKs do on such an error; dedup drops the second copy.
                for (boolean retry = connection != null; ; retry = false) {
                    try {
                        connection = connection != null ? connection : new Connection(address, timeoutMillis);
                        request.answer().answered(connection.exchange(head, request.body()), null);
                        break;
                    } catch (IOException failure) {
                        close(connection);
                        connection = null;
                        if (!retry) {
                            request.answer().answered(0, failure);
                            break;
                        }
                    }
                }
                if (connection != null && !connection.keepAlive) {
                    close(connection);
                    connection = null;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            close(connection);
        }
    }

    private static void close(Connection connection) {
        if (connection != null) {
            try {
                connection.socket.close();
            } catch (IOException ignored) {
                // Closing is all that is left to do with it.
            }
        }
    }

    /**
     * Drops what is still queued (the caller has stopped waiting for answers), lets each sender finish its
     * request in hand (within the timeout) and closes every connection.
     */
    @Override
    public void close() throws InterruptedException {
        queue.clear();
        workers.forEach(w -> queue.add(STOP));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis + 5_000L);
        for (Thread worker : workers) {
            worker.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
    }

    /** One kept-alive HTTP/1.1 connection: a request written whole, its response read and its body skipped. */
    private static final class Connection {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final StringBuilder line = new StringBuilder(128);
        private boolean keepAlive = true;

        Connection(InetSocketAddress address, int timeoutMillis) throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(address, Math.min(timeoutMillis, 5_000));
            socket.setSoTimeout(timeoutMillis);
            in = new BufferedInputStream(socket.getInputStream(), 8192);
            out = new BufferedOutputStream(socket.getOutputStream(), 16384);
        }

        /** The response's status. */
        int exchange(byte[] head, byte[] body) throws IOException {
            out.write(head);
            out.write(Integer.toString(body.length).getBytes(StandardCharsets.US_ASCII));
            out.write(CRLF);
            out.write(CRLF);
            out.write(body);
            out.flush();
            String statusLine = readLine();
            if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) {
                throw new IOException("not an HTTP/1.x status line: " + statusLine);
            }
            int status = Integer.parseInt(statusLine, 9, 12, 10);
            long length = -1;
            boolean chunked = false;
            keepAlive = statusLine.startsWith("HTTP/1.1");
            for (String header = readLine(); !header.isEmpty(); header = readLine()) {
                int colon = header.indexOf(':');
                String name = colon < 0 ? header : header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = colon < 0 ? "" : header.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
                switch (name) {
                    case "content-length" -> length = Long.parseLong(value);
                    case "transfer-encoding" -> chunked = value.contains("chunked");
                    case "connection" -> keepAlive = !value.contains("close") && (keepAlive || value.contains("keep-alive"));
                    default -> { }
                }
            }
            if (chunked) {
                skipChunks();
            } else if (length >= 0) {
                skip(length);
            } else {
                // No length: the body ends with the connection.
                keepAlive = false;
            }
            return status;
        }

        private void skipChunks() throws IOException {
            while (true) {
                String size = readLine();
                int extension = size.indexOf(';');
                long chunk = Long.parseLong((extension < 0 ? size : size.substring(0, extension)).trim(), 16);
                if (chunk == 0) {
                    while (!readLine().isEmpty()) {
                        // Trailer fields, none of which the probe needs.
                    }
                    return;
                }
                skip(chunk);
                readLine();
            }
        }

        private void skip(long bytes) throws IOException {
            for (long left = bytes; left > 0; ) {
                long skipped = in.skip(left);
                if (skipped <= 0) {
                    if (in.read() < 0) {
                        throw new EOFException("connection closed inside a response body");
                    }
                    skipped = 1;
                }
                left -= skipped;
            }
        }

        private String readLine() throws IOException {
            line.setLength(0);
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b < 0) {
                    throw new EOFException("connection closed before a full response");
                }
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            return line.toString();
        }
    }
}
