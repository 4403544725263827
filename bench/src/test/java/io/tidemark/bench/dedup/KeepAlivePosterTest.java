package io.tidemark.bench.dedup;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The probe's sender against a plain socket server that answers in the shapes a server may choose: a
 * fixed length, chunks, {@code Connection: close}, or a kept-alive connection closed without a word.
 */
class KeepAlivePosterTest {

    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private ServerSocket server;
    private Thread acceptor;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
            acceptor.join(5_000);
        }
    }

    @Test
    void keptAliveConnectionCarriesEveryRequestWhateverTheBodyFraming() throws Exception {
        AtomicInteger served = new AtomicInteger();
        URI endpoint = serve(Integer.MAX_VALUE, () -> served.getAndIncrement() % 2 == 0
                ? "HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n{\"success\":true}"
                : "HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n");
        ConcurrentLinkedQueue<Integer> statuses = send(endpoint, 1, 6);
        assertEquals(List.of(200, 400, 200, 400, 200, 400), List.copyOf(statuses));
        assertEquals(1, connections.get(), "one kept-alive connection for all six");
        assertEquals(6, bodies.size());
        assertTrue(bodies.stream().allMatch(b -> b.startsWith("{\"n\":")), bodies.toString());
    }

    @Test
    void connectionCloseOpensAnotherForTheNextRequest() throws Exception {
        URI endpoint = serve(Integer.MAX_VALUE, () -> "HTTP/1.1 204 No Content\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        ConcurrentLinkedQueue<Integer> statuses = send(endpoint, 1, 3);
        assertEquals(List.of(204, 204, 204), List.copyOf(statuses));
        assertEquals(3, connections.get());
    }

    @Test
    void keptAliveConnectionClosedByTheServerIsRetriedOnceOnANewOne() throws Exception {
        // The server closes each connection after one answer without saying so, as after an idle timeout.
        URI endpoint = serve(1, () -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        ConcurrentLinkedQueue<Integer> statuses = send(endpoint, 1, 4);
        assertEquals(List.of(200, 200, 200, 200), List.copyOf(statuses));
        assertEquals(4, bodies.size(), "each request reached the server once it had a live connection");
    }

    @Test
    void aRefusedConnectionIsAnErrorNotAStatus() throws Exception {
        int port;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger status = new AtomicInteger(-1);
        List<IOException> errors = new CopyOnWriteArrayList<>();
        try (KeepAlivePoster poster = new KeepAlivePoster(URI.create("http://127.0.0.1:" + port + "/v1/batch"),
                "Basic eDo=", 1, Duration.ofSeconds(5))) {
            poster.post("{}".getBytes(StandardCharsets.UTF_8), (s, error) -> {
                status.set(s);
                if (error != null) {
                    errors.add(error);
                }
                done.countDown();
            });
            assertTrue(done.await(10, TimeUnit.SECONDS));
        }
        assertEquals(0, status.get());
        assertEquals(1, errors.size());
    }

    private ConcurrentLinkedQueue<Integer> send(URI endpoint, int senders, int requests) throws Exception {
        ConcurrentLinkedQueue<Integer> statuses = new ConcurrentLinkedQueue<>();
        CountDownLatch done = new CountDownLatch(requests);
        try (KeepAlivePoster poster = new KeepAlivePoster(endpoint, "Basic eDo=", senders, Duration.ofSeconds(5))) {
            for (int i = 0; i < requests; i++) {
                poster.post(("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8), (status, error) -> {
                    statuses.add(error == null ? status : -1);
                    done.countDown();
                });
            }
            assertTrue(done.await(10, TimeUnit.SECONDS));
        }
        return statuses;
    }

    /** A server answering {@code answersPerConnection} requests on each connection, then closing it. */
    private URI serve(int answersPerConnection, java.util.function.Supplier<String> response) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket socket = server.accept()) {
                    connections.incrementAndGet();
                    InputStream in = socket.getInputStream();
                    OutputStream out = socket.getOutputStream();
                    for (int answered = 0; answered < answersPerConnection; answered++) {
                        int length = readHead(in);
                        if (length < 0) {
                            break;
                        }
                        bodies.add(new String(in.readNBytes(length), StandardCharsets.UTF_8));
                        String answer = response.get();
                        out.write(answer.getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        if (answer.contains("Connection: close")) {
                            break;
                        }
                    }
                } catch (IOException e) {
                    // The server socket closed at the test's end, or the client went away.
                }
            }
        }, "test-server");
        acceptor.start();
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/v1/batch");
    }

    /** Reads a request's head; its Content-Length, or -1 when the connection ended first. */
    private static int readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < end.length) {
            int b = in.read();
            if (b < 0) {
                return -1;
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        for (String line : head.toString(StandardCharsets.US_ASCII).split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                return Integer.parseInt(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        throw new IOException("no Content-Length in " + head);
    }
}
