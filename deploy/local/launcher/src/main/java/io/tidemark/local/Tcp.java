package io.tidemark.local;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/** Cheap first look before a protocol probe: is anything listening on the port at all? */
final class Tcp {

    private Tcp() {
    }

    static boolean listening(String host, int port, Duration timeout) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
