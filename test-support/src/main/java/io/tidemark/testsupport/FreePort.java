package io.tidemark.testsupport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/** A TCP port nothing listens on right now, for a server a test or benchmark starts. */
public final class FreePort {

    /**
     * Ports are drawn below the kernel's ephemeral range. A port from that range (what binding port 0
     * hands out) is also what every outgoing connection takes as its local port: between the test
     * taking the port and the server binding it, a Kafka or Cassandra client of any process on the
     * machine could take it, and the server then failed to start ("Port … seems to be in use") after
     * its management port had already said ready.
     */
    private static final int LOWEST = 20_000;
    private static final int DEFAULT_EPHEMERAL_START = 32_768;
    private static final int ATTEMPTS = 500;
    /** Ports this JVM handed out already, which the kernel may see as free until their server binds. */
    private static final Set<Integer> GIVEN = ConcurrentHashMap.newKeySet();
    private static final int ABOVE = ephemeralStart();

    private FreePort() {
    }

    /** A port outside the ephemeral range that binds now and that this JVM has not handed out before. */
    public static int next() {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOWEST, ABOVE);
            if (!GIVEN.contains(port) && bindable(port) && GIVEN.add(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port in " + LOWEST + "-" + (ABOVE - 1) + " after " + ATTEMPTS
                + " attempts");
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(port));
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    /** The first port of Linux's ephemeral range, or its usual start where that cannot be read (macOS starts higher). */
    private static int ephemeralStart() {
        Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        try {
            // Line by line: readString takes procfs's reported size and returns only "3" of "32768\t60999".
            int start = Integer.parseInt(Files.readAllLines(range).get(0).trim().split("\\s+")[0]);
            // A range that starts too low to leave room below it: keep the usual bound, collisions stay rare.
            return start > LOWEST + 2_000 ? start : DEFAULT_EPHEMERAL_START;
        } catch (IOException | RuntimeException unreadable) {
            return DEFAULT_EPHEMERAL_START;
        }
    }

    static int lowest() {
        return LOWEST;
    }

    static int above() {
        return ABOVE;
    }
}
