package io.tidemark.testsupport;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A stand-in for a packaged service that starts and never becomes ready: its management port answers
 * readiness with 503 and a DOWN check, as Quarkus does while a dependency is unreachable. With
 * {@code -Dnever-ready.says-up=true} it answers 200 UP but never opens its public port, as a service
 * whose public port was taken says UP on its management port before it exits. JDK only, so that its
 * class alone makes a runnable jar.
 */
public final class NeverReadyService {

    static final String LAST_LINE = "never-ready: still waiting for a dependency";
    static final String CHECK = "{\n  \"status\": \"DOWN\",\n  \"checks\": [ { \"name\": \"a dependency\", \"status\": \"DOWN\" } ]\n}";
    static final String UP = "{\n  \"status\": \"UP\",\n  \"checks\": [ ]\n}";

    private NeverReadyService() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        int port = Integer.parseInt(System.getProperty("quarkus.management.port"));
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        boolean saysUp = Boolean.getBoolean("never-ready.says-up");
        server.createContext("/q/health/ready", exchange -> {
            byte[] body = (saysUp ? UP : CHECK).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(saysUp ? 200 : 503, body.length);
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
