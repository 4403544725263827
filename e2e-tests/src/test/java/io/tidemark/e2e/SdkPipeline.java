package io.tidemark.e2e;

import io.tidemark.testsupport.PrivateStack;
import io.tidemark.testsupport.ServiceProcess;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;

/**
 * ingest and dedup (and mart, where a test reads its API) as packaged processes for one source of
 * their own, for an interoperability test that points a real SDK at ingest and looks for its events
 * in Cassandra. Runs on the shared stack, or on a {@link PrivateStack} a test may stop parts of.
 * ingest and dedup meet on a raw topic of their own: a backlog other tests left on the shared one
 * (ingest's tests send events of 190 KB) must neither delay this dedup nor exhaust its heap.
 */
final class SdkPipeline implements AutoCloseable {

    static final String READ_TOKEN = "dev-read-token";

    final String source;
    final String writeKey;
    private final List<ServiceProcess> services = new ArrayList<>();
    private final StoredRows rows;
    private RawTopic topic;
    private ServiceProcess ingest;
    private ServiceProcess mart;

    private SdkPipeline(String name, String cassandraHost, int cassandraPort) {
        String run = UUID.randomUUID().toString().substring(0, 8);
        this.source = name + "-" + run;
        this.writeKey = name + "-key-" + run;
        this.rows = new StoredRows(cassandraHost, cassandraPort);
    }

    /** On the shared stack. */
    static SdkPipeline start(String name, boolean withMart) throws Exception {
        return start(name, withMart, null);
    }

    /** On {@code stack}, or on the shared stack when it is null. */
    static SdkPipeline start(String name, boolean withMart, PrivateStack stack) throws Exception {
        return start(name, withMart, stack, List.of());
    }

    /** As {@link #start(String, boolean, PrivateStack)}, with {@code ingestSettings} ({@code key=value}) for ingest. */
    static SdkPipeline start(String name, boolean withMart, PrivateStack stack, List<String> ingestSettings) throws Exception {
        SdkPipeline pipeline = new SdkPipeline(name, "127.0.0.1", stack == null ? 9042 : stack.cassandraPort());
        try {
            List<String> servers = stack == null ? List.of() : List.of("kafka.bootstrap.servers=" + stack.kafkaBootstrap(),
                    "quarkus.cassandra.contact-points=127.0.0.1:" + stack.cassandraPort());
            pipeline.topic = RawTopic.create(stack == null ? "localhost:9092" : stack.kafkaBootstrap());
            List<String> ingest = new ArrayList<>(ingestSettings);
            ingest.add(pipeline.topic.ingestProperty());
            ingest.add("tidemark.ingest.sources." + pipeline.source + ".write-keys=" + pipeline.writeKey);
            pipeline.ingest = pipeline.run("ingest-service", servers, ingest.toArray(String[]::new));
            pipeline.run("dedup-service", servers, pipeline.topic.dedupProperties().toArray(String[]::new));
            if (withMart) {
                Path marts = Files.createDirectories(Path.of("target", "e2e-marts", pipeline.source)).toAbsolutePath();
                pipeline.mart = pipeline.run("mart-service", servers, "tidemark.mart.export.root=" + marts,
                        "tidemark.mart.export.sources=" + pipeline.source, "tidemark.mart.export.every=off");
            }
            for (ServiceProcess service : pipeline.services) {
                service.awaitReady();
            }
            return pipeline;
        } catch (Exception | AssertionError e) {
            pipeline.close();
            throw e;
        }
    }

    private ServiceProcess run(String module, List<String> servers, String... properties) throws Exception {
        List<String> all = new ArrayList<>(servers);
        all.addAll(List.of(properties));
        ServiceProcess service = ServiceProcess.launch(module, all);
        services.add(service);
        return service;
    }

    /** ingest's base URL, without a trailing slash: the one thing an SDK is told. */
    String ingestUrl() {
        return ingest.uri("").toString();
    }

    /** ingest's host and port, as SDKs that add the scheme themselves take it. */
    String ingestHost() {
        return ingest.uri("").getAuthority();
    }

    ServiceProcess ingest() {
        return ingest;
    }

    /** Waits until every messageId has a row on {@code days}, and answers the rows of each. */
    Map<String, List<StoredRows.Stored>> awaitStored(Collection<String> messageIds, Collection<LocalDate> days,
            Duration patience) {
        return await().atMost(patience).pollInterval(Duration.ofMillis(500))
                .until(() -> rows.rows(source, days), found -> found.keySet().containsAll(messageIds));
    }

    /** The anonymousId stored with each messageId on {@code days}. */
    Map<String, String> storedAnonymousIds(Collection<LocalDate> days) {
        return rows.anonymousIds(source, days);
    }

    /** The properties (JSON text) stored with each messageId on {@code days}. */
    Map<String, String> storedProperties(Collection<LocalDate> days) {
        return rows.properties(source, days);
    }

    /** Events per day from mart's API, after an export of this source. */
    Map<LocalDate, Long> dailyEvents(LocalDate from, LocalDate to) throws Exception {
        return MartCall.dailyEvents(mart, source, from, to);
    }

    /**
     * Stops the services without waiting for them to exit: a test closes its pipeline once it has asserted, and
     * their topic, group and source are this pipeline's own, so what they do while stopping reaches no other test.
     */
    @Override
    public void close() throws Exception {
        for (ServiceProcess service : services) {
            service.closeInBackground();
        }
        if (topic != null) {
            topic.close();
        }
        rows.close();
    }
}
