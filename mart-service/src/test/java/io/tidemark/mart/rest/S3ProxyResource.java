package io.tidemark.mart.rest;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.tidemark.testsupport.S3ProxyServer;
import org.eclipse.microprofile.config.ConfigProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.net.URI;
import java.util.List;
import java.util.Map;

/** The store's tests run against a real S3-compatible server ({@link S3ProxyServer}, shared with e2e). */
public class S3ProxyResource implements QuarkusTestResourceLifecycleManager {

    static final String BUCKET = S3ProxyServer.BUCKET;

    private S3ProxyServer server = new S3ProxyServer();

    /** Init args are S3Proxy's own settings ({@link S3ProxyServer#S3ProxyServer(Map)}). */
    @Override
    public void init(Map<String, String> initArgs) {
        server = new S3ProxyServer(initArgs);
    }

    @Override
    public Map<String, String> start() {
        return server.start();
    }

    static S3Client client(URI endpoint) {
        return S3Client.builder().httpClientBuilder(UrlConnectionHttpClient.builder()).region(Region.US_EAST_1)
                .endpointOverride(endpoint).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)))
                .build();
    }

    /** The endpoint of the running test application's bucket; read when a test runs, as most applications have none. */
    static URI endpoint() {
        return ConfigProvider.getConfig().getValue("tidemark.mart.store.s3.endpoint", URI.class);
    }

    /** The keys of the bucket's objects under {@code prefix}, sorted. */
    static List<String> keys(S3Client s3, String prefix) {
        return s3.listObjectsV2Paginator(r -> r.bucket(BUCKET).prefix(prefix)).contents().stream()
                .map(S3Object::key).sorted().toList();
    }

    @Override
    public void stop() {
        server.stop();
    }
}
