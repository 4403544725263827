package io.tidemark.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/** A TCP port nothing listens on right now, for a server a test or benchmark starts. */
public final class FreePort {

    private FreePort() {
    }

    /**
     * A port the kernel just handed out and took back; another process could take it before the
     * caller binds it, which the ephemeral range makes rare enough for tests.
     */
    public static int next() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }
}
