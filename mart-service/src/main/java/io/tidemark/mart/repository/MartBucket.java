package io.tidemark.mart.repository;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.tidemark.mart.config.MartConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The S3-compatible bucket of {@code tidemark.mart.store.kind=s3}: keys are relative to the
 * configured prefix. Blocking calls: used from the export worker thread only.
 */
@ApplicationScoped
public class MartBucket {

    private static final Logger LOG = Logger.getLogger(MartBucket.class);

    private final MartConfig.Store config;
    private S3Client client;
    private volatile boolean conditionalWrites = true;

    public MartBucket(MartConfig config) {
        this.config = config.store();
    }

    /** Whether the marts live in a bucket; when not, no other method may be called. */
    public boolean enabled() {
        return config.kind() == MartConfig.Store.Kind.S3;
    }

    public void put(String key, Path file) {
        s3().putObject(request -> request.bucket(bucket()).key(full(key)), RequestBody.fromFile(file));
    }

    /** A text object with the ETag it was read at, for a {@link #putTextIfUnchanged conditional} replacement. */
    public record Versioned(String text, String eTag) {
    }

    public Optional<Versioned> getVersioned(String key) {
        try {
            var object = s3().getObjectAsBytes(request -> request.bucket(bucket()).key(full(key)));
            return Optional.of(new Versioned(object.asString(StandardCharsets.UTF_8), object.response().eTag()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        }
    }

    /**
     * Puts {@code text} only if the object is still as {@code read} it (or, when empty, still absent): S3's
     * conditional write ({@code If-Match}, {@code If-None-Match: *}). False when another writer came first. A store
     * that has no conditional writes (it answers 501) gets a plain PUT, with a warning once.
     */
    public boolean putTextIfUnchanged(String key, String text, Optional<Versioned> read) {
        if (!conditionalWrites) {
            putText(key, text, request -> { });
            return true;
        }
        try {
            putText(key, text, request -> read.ifPresentOrElse(object -> request.ifMatch(object.eTag()),
                    () -> request.ifNoneMatch("*")));
            return true;
        } catch (S3Exception e) {
            // 412: the object changed (or appeared); 409: a concurrent write to it was under way.
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                return false;
            }
            if (e.statusCode() != 501) {
                throw e;
            }
            conditionalWrites = false;
            LOG.warnf("the bucket's store has no conditional writes (%s): day manifests are replaced unconditionally, "
                    + "so after a replica's pause past its lease its older day may replace a newer one until the day's "
                    + "next export", e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorCode());
            putText(key, text, request -> { });
            return true;
        }
    }

    private void putText(String key, String text, Consumer<PutObjectRequest.Builder> condition) {
        s3().putObject(request -> {
            request.bucket(bucket()).key(full(key)).contentType("application/json");
            condition.accept(request);
        }, RequestBody.fromString(text, StandardCharsets.UTF_8));
    }

    public Optional<String> getText(String key) {
        return getVersioned(key).map(Versioned::text);
    }

    public void download(String key, Path file) {
        s3().getObject(request -> request.bucket(bucket()).key(full(key)), ResponseTransformer.toFile(file));
    }

    /** An object of a listing: its key relative to the configured prefix, and its ETag without quotes. */
    public record Entry(String key, String eTag) {
    }

    /** Every object under {@code keyPrefix}. */
    public List<Entry> list(String keyPrefix) {
        return s3().listObjectsV2Paginator(request -> request.bucket(bucket()).prefix(full(keyPrefix))).contents()
                .stream().map(object -> new Entry(object.key().substring(prefix().length()),
                        object.eTag() == null ? "" : object.eTag().replace("\"", ""))).toList();
    }

    /** The "directories" right under the configured prefix, e.g. {@code source=web/}. */
    public List<String> topLevel() {
        return s3().listObjectsV2Paginator(request -> request.bucket(bucket()).prefix(prefix()).delimiter("/"))
                .commonPrefixes().stream().map(common -> common.prefix().substring(prefix().length())).toList();
    }

    public void delete(String key) {
        s3().deleteObject(request -> request.bucket(bucket()).key(full(key)));
    }

    private String full(String key) {
        return prefix() + key;
    }

    private String prefix() {
        return config.s3().prefix().map(p -> p.endsWith("/") ? p : p + "/").orElse("");
    }

    private String bucket() {
        return config.s3().bucket().orElseThrow(
                () -> new IllegalStateException("tidemark.mart.store.s3.bucket is required with store kind s3"));
    }

    private synchronized S3Client s3() {
        if (client == null) {
            MartConfig.Store.S3 s3 = config.s3();
            S3ClientBuilder builder = S3Client.builder()
                    .httpClientBuilder(UrlConnectionHttpClient.builder())
                    .region(Region.of(s3.region()))
                    .forcePathStyle(s3.pathStyle())
                    // Checksums only where S3 demands them: S3-compatible servers lag behind AWS's newer headers.
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
            s3.endpoint().ifPresent(builder::endpointOverride);
            if (s3.accessKeyId().isPresent() && s3.secretAccessKey().isPresent()) {
                builder.credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(s3.accessKeyId().get(), s3.secretAccessKey().get())));
            } else {
                builder.credentialsProvider(DefaultCredentialsProvider.builder().build());
            }
            client = builder.build();
        }
        return client;
    }

    /** A store kind s3 without a bucket is a configuration error: refuse to start rather than fail every export. */
    void validate(@Observes StartupEvent event) {
        if (enabled()) {
            bucket();
        }
    }

    synchronized void close(@Observes ShutdownEvent event) {
        if (client != null) {
            client.close();
        }
    }
}
