package io.tidemark.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FreePortTest {

    /**
     * The ports come from below the ephemeral range, which outgoing connections draw their local ports
     * from, and are never handed out twice by one JVM, even while nothing has bound them yet.
     */
    @Test
    void portsAreDistinctBindableAndBelowTheEphemeralRange() throws Exception {
        Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        if (Files.isReadable(range)) {
            int ephemeralStart = Integer.parseInt(Files.readAllLines(range).get(0).trim().split("\\s+")[0]);
            assertTrue(FreePort.above() <= ephemeralStart, FreePort.above() + " is above " + ephemeralStart);
        }
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            int port = FreePort.next();
            assertTrue(port >= FreePort.lowest() && port < FreePort.above(), "port " + port);
            assertTrue(seen.add(port), "port " + port + " handed out twice");
        }
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(FreePort.next()));
            assertTrue(server.isBound());
        }
    }

    /** Outgoing connections take ephemeral local ports: none of them is one FreePort would hand out. */
    @Test
    void outgoingConnectionsDoNotTakePortsFromItsRange() throws Exception {
        List<Socket> clients = new ArrayList<>();
        try (ServerSocket server = new ServerSocket(0)) {
            for (int i = 0; i < 50; i++) {
                Socket client = new Socket("127.0.0.1", server.getLocalPort());
                clients.add(client);
                int local = client.getLocalPort();
                assertTrue(local < FreePort.lowest() || local >= FreePort.above(), "local port " + local);
            }
            assertEquals(50, clients.size());
        } finally {
            for (Socket client : clients) {
                client.close();
            }
        }
    }
}
