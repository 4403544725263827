package io.tidemark.e2e;

import com.segment.analytics.Analytics;
import com.segment.analytics.Callback;
import com.segment.analytics.messages.AliasMessage;
import com.segment.analytics.messages.GroupMessage;
import com.segment.analytics.messages.IdentifyMessage;
import com.segment.analytics.messages.Message;
import com.segment.analytics.messages.MessageBuilder;
import com.segment.analytics.messages.PageMessage;
import com.segment.analytics.messages.ScreenMessage;
import com.segment.analytics.messages.TrackMessage;
import io.tidemark.testsupport.PrivateStack;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Segment's Java server SDK, {@code com.segment.analytics.java:analytics} from Maven Central, told only
 * ingest's address: every call type arrives in Cassandra once; with Kafka stopped ingest answers 503,
 * the SDK retries on its own schedule, and once Kafka is back every event is stored once, at its time. A batch
 * whose body reaches ingest slower than its read deadline is cut unanswered, and the SDK sends it again.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AnalyticsJavaIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    // The SDK's back-off is fixed (15 s, doubling, jittered): its second and third tries come within 3 minutes.
    private static final Duration RETRY_PATIENCE = Duration.ofMinutes(4);
    private static final int OUTAGE_EVENTS = 40;
    /** Ingest's deadline for a body to arrive whole (60 s when shipped), short so a poor uplink outlasts it soon. */
    private static final Duration READ_DEADLINE = Duration.ofSeconds(3);

    private static PrivateStack stack;
    private static SdkPipeline pipeline;

    @BeforeAll
    static void start() throws Exception {
        stack = PrivateStack.shared();
        pipeline = SdkPipeline.start("java-sdk", false, stack,
                List.of("tidemark.ingest.request-read-timeout=" + READ_DEADLINE));
    }

    @AfterAll
    static void stop() throws Exception {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    @Order(1)
    void everyCallTypeArrivesOnceWithItsIdsAndTime() throws Exception {
        String run = UUID.randomUUID().toString();
        Instant yesterday = Instant.now().minus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MILLIS);
        Map<String, MessageBuilder<?, ?>> calls = new LinkedHashMap<>();
        calls.put(run + "-identify", IdentifyMessage.builder().userId("ada").traits(Map.of("plan", "pro")));
        calls.put(run + "-track", TrackMessage.builder("Order Completed").userId("ada")
                .properties(Map.of("revenue", 42)).timestamp(Date.from(yesterday)));
        calls.put(run + "-page", PageMessage.builder("Pricing").anonymousId("anon-1"));
        calls.put(run + "-screen", ScreenMessage.builder("Settings").userId("ada"));
        calls.put(run + "-group", GroupMessage.builder("acme").userId("ada"));
        calls.put(run + "-alias", AliasMessage.builder("anon-1").userId("ada"));

        Delivery delivery = new Delivery();
        Analytics analytics = client(delivery, new Statuses(), 1);
        try {
            calls.forEach((id, builder) -> analytics.enqueue(builder.messageId(id)));
            analytics.flush();
            await().atMost(PATIENCE).until(() -> delivery.settled(calls.keySet()));
        } finally {
            analytics.shutdown();
        }
        assertEquals(Map.of(), delivery.failed, "calls the SDK could not deliver");

        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        Map<String, List<StoredRows.Stored>> stored = pipeline.awaitStored(calls.keySet(),
                List.of(today.minusDays(1), today, today.plusDays(1)), PATIENCE);
        for (String id : calls.keySet()) {
            assertEquals(1, stored.get(id).size(), "rows of " + id);
        }
        assertEquals(yesterday, stored.get(run + "-track").get(0).eventTime(), "the caller's timestamp is the event time");
    }

    @Test
    @Order(2)
    void eventsSentWhileKafkaIsDownAreRetriedByTheSdkAndStoredOnceWhenItIsBack() throws Exception {
        Delivery delivery = new Delivery();
        Statuses statuses = new Statuses();
        Analytics analytics = client(delivery, statuses, 4);
        List<String> ids = new ArrayList<>();
        Map<String, Instant> trackedAt = new ConcurrentHashMap<>();
        try {
            stack.stopKafka();
            for (int i = 0; i < OUTAGE_EVENTS; i++) {
                String id = "outage-" + i + "-" + UUID.randomUUID();
                ids.add(id);
                Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
                trackedAt.put(id, now);
                analytics.enqueue(TrackMessage.builder("Song Played").userId("user-" + i % 5).messageId(id)
                        .timestamp(Date.from(now)));
            }
            analytics.flush();
            await("ingest answers the SDK 503 while Kafka is down").atMost(PATIENCE).until(() -> statuses.seen(503));
            assertTrue(delivery.succeeded.isEmpty(), "nothing is reported delivered while Kafka is down");

            stack.startKafka();
            await().atMost(RETRY_PATIENCE).until(() -> delivery.settled(ids));
        } finally {
            analytics.shutdown();
        }
        assertEquals(Map.of(), delivery.failed, "events the SDK gave up on");
        assertTrue(statuses.seen(200), "a retry was answered 200");

        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        Map<String, List<StoredRows.Stored>> stored = pipeline.awaitStored(ids,
                List.of(today.minusDays(1), today), PATIENCE);
        for (String id : ids) {
            assertEquals(1, stored.get(id).size(), "rows of " + id);
            // A retried batch keeps its first sentAt: the delay is the SDK's back-off, not the client's clock.
            assertEquals(trackedAt.get(id), stored.get(id).get(0).eventTime(), "event time of " + id);
        }
    }

    @Test
    @Order(3)
    void aBatchSlowerThanTheReadDeadlineOnAPoorUplinkIsSentAgainAndStoredOnce() throws Exception {
        String id = "poor-uplink-" + UUID.randomUUID();
        Delivery delivery = new Delivery();
        Statuses statuses = new Statuses();
        // 128 bytes a second on the first connection: the 2 KB batch needs 16 s there, ingest waits 3 s and cuts
        // the connection unanswered (RequestReadDeadline). One slow connection is enough: each costs the test an
        // SDK back-off of 15 to 60 s, and a second one (when ingest still answered 408, which OkHttp repeated once)
        // proved nothing the first does not.
        try (SlowUplink uplink = SlowUplink.to(URI.create(pipeline.ingestUrl()), 1, 32)) {
            Analytics analytics = client(uplink.url(), delivery, statuses, 4);
            try {
                analytics.enqueue(TrackMessage.builder("Photo Uploaded").userId("ada").messageId(id)
                        .properties(Map.of("caption", "c".repeat(2_000))));
                analytics.flush();
                await().atMost(RETRY_PATIENCE).until(() -> delivery.settled(List.of(id)));
            } finally {
                analytics.shutdown();
            }
            assertEquals(Map.of(), delivery.failed, "the SDK gave the batch up");
            assertTrue(uplink.connections() >= 2, "sent again after the slow connection: " + uplink.connections());
        }
        assertEquals(List.of(200), statuses.codes, "ingest answered only the try that arrived in time");
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        Map<String, List<StoredRows.Stored>> stored = pipeline.awaitStored(List.of(id), List.of(today.minusDays(1), today),
                PATIENCE);
        assertEquals(1, stored.get(id).size(), "rows of " + id);
    }

    private static Analytics client(Delivery delivery, Statuses statuses, int retries) {
        return client(pipeline.ingestUrl(), delivery, statuses, retries);
    }

    private static Analytics client(String endpoint, Delivery delivery, Statuses statuses, int retries) {
        OkHttpClient http = new OkHttpClient.Builder().connectTimeout(5, TimeUnit.SECONDS).readTimeout(15, TimeUnit.SECONDS)
                .addNetworkInterceptor(chain -> {
                    okhttp3.Response response = chain.proceed(chain.request());
                    statuses.codes.add(response.code());
                    return response;
                }).build();
        return Analytics.builder(pipeline.writeKey).endpoint(endpoint).client(http)
                .flushQueueSize(50).flushInterval(1, TimeUnit.SECONDS).retries(retries).callback(delivery).build();
    }

    /** What the SDK reported for each message. */
    private static final class Delivery implements Callback {
        final Set<String> succeeded = ConcurrentHashMap.newKeySet();
        final Map<String, String> failed = new ConcurrentHashMap<>();

        @Override
        public void success(Message message) {
            succeeded.add(message.messageId());
        }

        @Override
        public void failure(Message message, Throwable cause) {
            failed.put(message.messageId(), String.valueOf(cause));
        }

        boolean settled(java.util.Collection<String> ids) {
            return ids.stream().allMatch(id -> succeeded.contains(id) || failed.containsKey(id));
        }
    }

    /** The HTTP statuses ingest answered the SDK. */
    private static final class Statuses {
        final List<Integer> codes = new CopyOnWriteArrayList<>();

        boolean seen(int status) {
            return codes.contains(status);
        }
    }
}
