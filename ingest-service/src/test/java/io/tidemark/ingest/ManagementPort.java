package io.tidemark.ingest;

import io.quarkus.test.common.http.TestHTTPResourceManager;

/**
 * Where the running test service answers health, metrics and the API document: Quarkus's management
 * interface, on a port of its own (a free one in tests).
 */
public final class ManagementPort {

    private ManagementPort() {
    }

    /** The URL of {@code path} under the management root, e.g. {@code url("metrics")} for /q/metrics. */
    public static String url(String path) {
        String root = TestHTTPResourceManager.getManagementUri();
        return (root.endsWith("/") ? root : root + "/") + path;
    }
}
