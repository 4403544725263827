package io.tidemark.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.segment.analytics.kotlin.core.Analytics;
import com.segment.analytics.kotlin.core.Configuration;
import com.segment.analytics.kotlin.core.Telemetry;
import com.segment.analytics.kotlin.core.compat.ConfigurationBuilder;
import com.segment.analytics.kotlin.core.compat.JavaAnalytics;
import kotlin.coroutines.EmptyCoroutineContext;
import kotlin.jvm.JvmClassMappingKt;
import kotlinx.coroutines.BuildersKt;
import kotlinx.coroutines.ExecutorCoroutineDispatcher;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * One launch of an app that embeds analytics-kotlin, told ingest's hosts and nothing else, with its data
 * in {@code storage}; closing it ends the launch as the app's process ending would, files left in place.
 */
final class AnalyticsKotlinApp implements AutoCloseable {

    private static final Duration READY_PATIENCE = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A closed batch file awaiting upload: the sentAt the SDK stamped when it closed it, and its events. */
    record Batch(Instant sentAt, List<String> messageIds) {
    }

    private final JavaAnalytics analytics;
    private final StampedEvents stamped;
    private final Path storage;

    private AnalyticsKotlinApp(JavaAnalytics analytics, StampedEvents stamped, Path storage) {
        this.analytics = analytics;
        this.stamped = stamped;
        this.storage = storage;
    }

    /**
     * Starts the SDK and waits until it is ready to track.
     *
     * @param ingestHost host and port of ingest; the SDK adds the scheme, and the paths
     */
    static AnalyticsKotlinApp launch(String writeKey, String ingestHost, Path storage, AppNetwork network, int flushAt,
            Duration flushInterval) {
        // Telemetry would post the SDK's usage metrics to api.segment.io.
        Telemetry.INSTANCE.setEnable(false);
        Configuration configuration = new ConfigurationBuilder(writeKey)
                // Any object will do on a JVM; on Android it is the Application, and the SDK refuses to start without one.
                .setApplication("tidemark-e2e")
                // Settings come from ingest's mobile path, /projects/<writeKey>/settings. The apiHost is set
                // too, though the settings name the same one: a launch whose settings request fails (one
                // that starts offline) uploads to the configured apiHost, whatever settings it stored before.
                .setCdnHost(ingestHost)
                .setApiHost(ingestHost + "/v1")
                .setFlushAt(flushAt)
                .setFlushInterval((int) flushInterval.toSeconds())
                .setRequestFactory(network)
                .build();
        configuration.setStorageProvider(new DirectoryStorageProvider(storage));
        JavaAnalytics analytics = new JavaAnalytics(new Analytics(configuration));
        StampedEvents stamped = new StampedEvents();
        analytics.add(stamped);
        AnalyticsKotlinApp app = new AnalyticsKotlinApp(analytics, stamped, storage);
        // Until its settings request has ended, well or not, the SDK drops an event (user info not yet
        // loaded) or holds it in memory and stamps it again when it replays it.
        try {
            await("analytics-kotlin is ready").atMost(READY_PATIENCE).until(app::running);
        } catch (RuntimeException e) {
            app.close();
            throw e;
        }
        return app;
    }

    JavaAnalytics analytics() {
        return analytics;
    }

    /** What the SDK stamped on each call, by the call's {@link StampedEvents#CALL} property. */
    Map<String, StampedEvents.Stamped> stamped() {
        return stamped.byCall();
    }

    /** The closed batch files awaiting upload, as the SDK lists them. */
    List<Batch> pendingBatches() throws IOException {
        List<Batch> batches = new ArrayList<>();
        for (String file : analytics.pendingUploads()) {
            JsonNode batch = JSON.readTree(Path.of(file).toFile());
            List<String> ids = new ArrayList<>();
            batch.get("batch").forEach(event -> ids.add(event.get("messageId").asText()));
            batches.add(new Batch(Instant.parse(batch.get("sentAt").asText()), ids));
        }
        return batches;
    }

    /** Whether the SDK has sent and removed every batch file, the open one included. */
    boolean sentEverything() throws IOException {
        return analytics.pendingUploads().isEmpty() && !writingBatch();
    }

    /** Whether a batch file is still open for writing: the SDK sends it only after it closes it. */
    boolean writingBatch() throws IOException {
        Path events = DirectoryStorageProvider.eventsDirectory(storage);
        if (!Files.isDirectory(events)) {
            return false;
        }
        try (Stream<Path> files = Files.list(events)) {
            return files.anyMatch(file -> file.getFileName().toString().endsWith(".tmp"));
        }
    }

    private boolean running() throws InterruptedException {
        Analytics sdk = analytics.getAnalytics();
        // The SDK's own System state (not java.lang.System), read through a suspend function.
        com.segment.analytics.kotlin.core.System state = BuildersKt.runBlocking(EmptyCoroutineContext.INSTANCE,
                (scope, continuation) -> sdk.getStore().currentState(
                        JvmClassMappingKt.getKotlinClass(com.segment.analytics.kotlin.core.System.class), continuation));
        return state != null && state.getRunning();
    }

    @Override
    public void close() {
        analytics.getAnalytics().shutdown();
    }

    /**
     * Ends the thread of Telemetry, a process-wide object whose single-thread executor outlives every
     * {@code shutdown()} and would keep a JVM with no other work alive. Test-only, by reflection, and
     * last: no analytics-kotlin instance can run in this JVM afterwards.
     */
    static void releaseTelemetry() throws ReflectiveOperationException {
        Field dispatcher = Telemetry.class.getDeclaredField("telemetryDispatcher");
        dispatcher.setAccessible(true);
        ((ExecutorCoroutineDispatcher) dispatcher.get(Telemetry.INSTANCE)).close();
    }
}
