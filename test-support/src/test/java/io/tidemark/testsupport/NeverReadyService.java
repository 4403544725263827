package io.tidemark.testsupport;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A stand-in for a packaged service that starts and never becomes ready: its management port answers
 * readiness with 503 and a DOWN check, as Quarkus does while a dependency is unreachable. JDK only, so
 * that its class alone makes a runnable jar.
 */
public final class NeverReadyService {

    static final String LAST_LINE = "never-ready: still waiting for a dependency";
    static final String CHECK = "{\n  \"status\": \"DOWN\",\n  \"checks\": [ { \"name\": \"a dependency\", \"status\": \"DOWN\" } ]\n}";

    private NeverReadyService() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        int port = Integer.parseInt(System.getProperty("quarkus.management.port"));
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/q/health/ready", exchange -> {
            byte[] body = CHECK.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(503, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        System.out.println(LAST_LINE);
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
