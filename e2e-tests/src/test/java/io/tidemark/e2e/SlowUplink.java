package io.tidemark.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay between a client and ingest that stands for a phone on a poor uplink: on its first
 * {@code slowConnections} connections the client's bytes reach ingest {@code bytesPerStep} at a time, a step
 * apart; on later ones, and ingest's answers on all, at full speed. The client itself writes at once, as into
 * a phone's socket buffer, and waits for its answer.
 */
final class SlowUplink implements AutoCloseable {

    private static final Duration STEP = Duration.ofMillis(250);

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final int slowConnections;
    private final int bytesPerStep;
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    private SlowUplink(InetSocketAddress target, int slowConnections, int bytesPerStep) throws IOException {
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.target = target;
        this.slowConnections = slowConnections;
        this.bytesPerStep = bytesPerStep;
        daemon(this::accept, "slow-uplink-accept");
    }

    static SlowUplink to(URI server, int slowConnections, int bytesPerStep) throws IOException {
        return new SlowUplink(new InetSocketAddress(server.getHost(), server.getPort()), slowConnections, bytesPerStep);
    }

    /** The relay's base URL, to give a client instead of the server's. */
    String url() {
        return "http://127.0.0.1:" + listener.getLocalPort();
    }

    /** Connections the client opened so far. */
    int connections() {
        return connections.get();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(target.getAddress(), target.getPort());
                sockets.add(client);
                sockets.add(server);
                boolean slow = connections.incrementAndGet() <= slowConnections;
                daemon(() -> relay(client, server, slow), "slow-uplink-up");
                daemon(() -> relay(server, client, false), "slow-uplink-down");
            } catch (IOException e) {
                // Closed: the test is over.
            }
        }
    }

    /** Copies until either side closes, then closes both: a connection ingest cut reaches the client cut. */
    private void relay(Socket from, Socket to, boolean slow) {
        byte[] buffer = new byte[slow ? bytesPerStep : 16_384];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                out.flush();
                if (slow) {
                    Thread.sleep(STEP.toMillis());
                }
            }
        } catch (IOException | InterruptedException e) {
            // One side went away: so does the other, below.
        } finally {
            close(from);
            close(to);
        }
    }

    @Override
    public void close() {
        close(listener);
        sockets.forEach(SlowUplink::close);
    }

    private static void close(java.io.Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException ignored) {
            // Already closed.
        }
    }

    private static void daemon(Runnable task, String name) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
    }
}
