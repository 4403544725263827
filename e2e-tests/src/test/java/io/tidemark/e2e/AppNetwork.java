package io.tidemark.e2e;

import com.segment.analytics.kotlin.core.RequestFactory;
import io.tidemark.testsupport.FreePort;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The network an analytics-kotlin app reaches ingest through in a test: plain HTTP, and a switch that
 * takes the network away and gives it back while the SDK keeps the hosts it was configured with.
 *
 * <p>Test-only. The SDK's own {@link RequestFactory} always opens {@code https://<apiHost>/b} and
 * {@code https://<cdnHost>/projects/<writeKey>/settings}, so a real Android app reaches a production
 * ingest behind TLS (the k8s Ingress) with nothing but {@code setApiHost}/{@code setCdnHost}; only
 * ingest as a local process speaks plain HTTP.
 */
final class AppNetwork extends RequestFactory {

    // The library's read timeout is 201 s (20_1000, upstream); no test should wait that long on a request.
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(15);

    /** A request the SDK opened, where it meant it to go, and whether the network let it through. */
    record Request(Instant at, URI target, boolean online) {
    }

    private final String unreachable;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile boolean online = true;

    AppNetwork() throws IOException {
        // Offline, a connection goes to a port that was free a moment ago: it is refused at once, as on
        // a phone without a network, where a request fails fast rather than hanging until a timeout.
        unreachable = "127.0.0.1:" + FreePort.next();
    }

    void goOffline() {
        online = false;
    }

    void goOnline() {
        online = true;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    @Override
    public HttpURLConnection openConnection(String url) {
        URI requested = URI.create(url);
        boolean reachable = online;
        requests.add(new Request(Instant.now(), requested, reachable));
        String authority = reachable ? requested.getRawAuthority() : unreachable;
        String query = requested.getRawQuery() == null ? "" : "?" + requested.getRawQuery();
        HttpURLConnection connection = super.openConnection("http://" + authority + requested.getRawPath() + query);
        connection.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
        connection.setReadTimeout((int) READ_TIMEOUT.toMillis());
        return connection;
    }
}
