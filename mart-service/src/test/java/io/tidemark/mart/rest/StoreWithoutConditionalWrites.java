package io.tidemark.mart.rest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.tidemark.testsupport.FreePort;
import io.tidemark.testsupport.S3ProxyServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bucket on a store that has no conditional writes, as S3-compatible stores had before S3 added them in 2024: every
 * request passes to a real S3Proxy, except a PUT with {@code If-Match} or {@code If-None-Match}, which is answered 501
 * {@code NotImplemented} the way S3 answers a header it does not implement. The front changes the request's host,
 * so S3Proxy runs without checking signatures.
 */
public class StoreWithoutConditionalWrites implements QuarkusTestResourceLifecycleManager {

    private static final Set<String> NOT_FORWARDED = Set.of("connection", "content-length", "date", "expect", "host",
            "upgrade", "via", "warning", "transfer-encoding");
    private static final String NOT_IMPLEMENTED = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NotImplemented"
            + "</Code><Message>A header you provided implies functionality that is not implemented</Message></Error>";

    private final S3ProxyServer store = new S3ProxyServer(Map.of("s3proxy.authorization", "none"));
    private final AtomicInteger refused = new AtomicInteger();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ExecutorService workers = Executors.newFixedThreadPool(4);
    private HttpServer front;

    @Override
    public Map<String, String> start() {
        Map<String, String> settings = new HashMap<>(store.start());
        try {
            front = HttpServer.create(new InetSocketAddress("127.0.0.1", FreePort.next()), 0);
        } catch (IOException e) {
            store.stop();
            throw new UncheckedIOException(e);
        }
        front.createContext("/", this::handle);
        front.setExecutor(workers);
        front.start();
        settings.put("tidemark.mart.store.s3.endpoint", "http://127.0.0.1:" + front.getAddress().getPort());
        return settings;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readAllBytes();
            var headers = exchange.getRequestHeaders();
            if (exchange.getRequestMethod().equals("PUT")
                    && (headers.containsKey("If-Match") || headers.containsKey("If-None-Match"))) {
                refused.incrementAndGet();
                reply(exchange, 501, Map.of("Content-Type", List.of("application/xml")),
                        NOT_IMPLEMENTED.getBytes(StandardCharsets.UTF_8));
                return;
            }
            HttpRequest.Builder request = HttpRequest.newBuilder(store.endpoint().resolve(exchange.getRequestURI()))
                    .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
            headers.forEach((name, values) -> {
                if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT))) {
                    values.forEach(value -> request.header(name, value));
                }
            });
            HttpResponse<byte[]> answer = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            reply(exchange, answer.statusCode(), answer.headers().map(),
                    exchange.getRequestMethod().equals("HEAD") ? new byte[0] : answer.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void reply(HttpExchange exchange, int status, Map<String, List<String>> headers, byte[] body)
            throws IOException {
        headers.forEach((name, values) -> {
            if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                exchange.getResponseHeaders().put(name, values);
            }
        });
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        exchange.getResponseBody().write(body);
    }

    /** Gives a test's {@link Refused} field the count of conditional PUTs the front answered 501. */
    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(refused, new TestInjector.AnnotatedAndMatchesType(Refused.class, AtomicInteger.class));
    }

    /** Marks the test field that receives the count of refused conditional PUTs. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    @interface Refused {
    }

    @Override
    public void stop() {
        if (front != null) {
            front.stop(0);
        }
        workers.shutdownNow();
        store.stop();
    }
}
