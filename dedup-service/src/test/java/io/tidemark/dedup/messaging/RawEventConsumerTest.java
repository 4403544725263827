package io.tidemark.dedup.messaging;

import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.test.junit.QuarkusTest;
import io.tidemark.dedup.config.DedupConfig;
import io.tidemark.dedup.repository.MessageLedger;
import io.tidemark.dedup.service.TestEvents;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.event.EventIndexLayout;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Records on the real raw topic, rows in the real Cassandra. */
@QuarkusTest
class RawEventConsumerTest {

    private static final String RAW = "tidemark.events.raw";
    private static final String CLEAN = "tidemark.events.clean";
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @Inject
    QuarkusCqlSession session;

    @Inject
    DedupConfig config;

    @Inject
    MeterRegistry metrics;

    @Inject
    ConverterProbe converters;

    private KafkaProducer<String, byte[]> producer;
    private String source;

    @BeforeEach
    void connect() {
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092",
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer());
        source = "dedup-test-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void disconnect() {
        producer.close();
    }

    private CollectedEvent event(String messageId, Instant time) {
        return TestEvents.click(source, messageId, time);
    }

    /** Sends the event keyed as ingest does and returns the partition it landed on. */
    private int send(CollectedEvent event) throws Exception {
        return producer.send(new ProducerRecord<>(RAW, event.kafkaKey(), EventCodec.encode(event))).get().partition();
    }

    /** The rows of a message on a day, in whichever bucket of the original layout dedup placed them. */
    private List<Row> rowsOf(String messageId, LocalDate day) {
        List<Short> buckets = IntStream.range(0, EventIndexLayout.ORIGINAL_BUCKETS).mapToObj(b -> (short) b).toList();
        return session.execute(SimpleStatement.newInstance("SELECT message_id, bucket, event_time, event, user_id "
                        + "FROM tidemark.events_by_day WHERE source = ? AND event_date = ? AND bucket IN ?", source, day, buckets))
                .all().stream().filter(row -> row.getString("message_id").equals(messageId)).toList();
    }

    private static <T> T eventually(Supplier<T> probe, java.util.function.Predicate<T> done) {
        return org.awaitility.Awaitility.await().atMost(PATIENCE).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(200)).until(probe::get, done::test);
    }

    @Test
    void duplicateMessageIdIsStoredOnce() throws Exception {
        Instant time = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        String messageId = UUID.randomUUID().toString();
        int partition = 0;
        for (int copy = 0; copy < 3; copy++) {
            partition = send(event(messageId, time));
        }
        String marker = sendMarker(partition, time);
        eventually(() -> rowsOf(marker, EventIndexLayout.eventDay(time)), rows -> !rows.isEmpty());

        assertEquals(1, rowsOf(messageId, EventIndexLayout.eventDay(time)).size());
    }

    @Test
    void laterCopyWithAnotherTimestampStaysOnTheFirstDay() throws Exception {
        Instant first = Instant.now().minus(3, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MILLIS);
        Instant copyTime = first.plus(2, ChronoUnit.DAYS);
        String messageId = UUID.randomUUID().toString();
        send(event(messageId, first));
        eventually(() -> rowsOf(messageId, EventIndexLayout.eventDay(first)), rows -> !rows.isEmpty());

        String marker = sendMarker(send(event(messageId, copyTime)), copyTime);
        eventually(() -> rowsOf(marker, EventIndexLayout.eventDay(copyTime)), rows -> !rows.isEmpty());

        List<Row> firstDay = rowsOf(messageId, EventIndexLayout.eventDay(first));
        assertEquals(1, firstDay.size());
        assertEquals(first, firstDay.get(0).getInstant("event_time"));
        assertEquals(0, rowsOf(messageId, EventIndexLayout.eventDay(copyTime)).size());
    }

    @Test
    void undecodableRecordGoesToDeadLetterAndTheNextEventIsStored() throws Exception {
        String key = source + ":broken-" + UUID.randomUUID();
        try (KafkaConsumer<String, byte[]> deadLetters = deadLetterReaderAtEnd()) {
            producer.send(new ProducerRecord<>(RAW, key, "{not an event".getBytes(StandardCharsets.UTF_8))).get();
            Instant time = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            String after = UUID.randomUUID().toString();
            send(event(after, time));

            assertEquals(1, eventually(() -> rowsOf(after, EventIndexLayout.eventDay(time)), rows -> !rows.isEmpty()).size());
            List<ConsumerRecord<String, byte[]>> parked = new ArrayList<>();
            Instant deadline = Instant.now().plus(PATIENCE);
            while (parked.stream().noneMatch(r -> key.equals(r.key())) && Instant.now().isBefore(deadline)) {
                deadLetters.poll(Duration.ofMillis(200)).forEach(parked::add);
            }
            ConsumerRecord<String, byte[]> mine = parked.stream().filter(r -> key.equals(r.key())).findFirst().orElseThrow();
            String reason = new String(mine.headers().lastHeader("tidemark-reason").value(), StandardCharsets.UTF_8);
            assertTrue(reason.startsWith("not a Tidemark event"), reason);
        }
    }

    @Test
    void textColumnsKeepEveryCharacterTheClientSent() throws Exception {
        Instant time = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        String messageId = "m-\u00e9-\u6ce8\u6587-" + UUID.randomUUID();
        String eventName = "Caf\u00e9 \u2615 \u6ce8\u6587 \uD83D\uDE00 \u0000 \\ \"";
        String userId = "\u00fcser-\u0416-\uD83E\uDD84";
        String record = "{\"v\":1,\"source\":\"" + source + "\",\"messageId\":\"" + messageId
                + "\",\"type\":\"track\",\"event\":" + new ObjectMapper().writeValueAsString(eventName)
                + ",\"userId\":\"" + userId + "\",\"timestamp\":\"" + time + "\",\"receivedAt\":\"" + time + "\"}";
        producer.send(new ProducerRecord<>(RAW, source + ":" + messageId, record.getBytes(StandardCharsets.UTF_8))).get();

        LocalDate day = EventIndexLayout.eventDay(time);
        List<Row> rows = eventually(() -> rowsOf(messageId, day), found -> !found.isEmpty());
        assertEquals(eventName, rows.get(0).getString("event"));
        assertEquals(userId, rows.get(0).getString("user_id"));
    }

    @Test
    void freeFormObjectsAreStoredAsTheClientWroteThemAndAnEmojiEscapeAsBefore() throws Exception {
        Instant time = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        String messageId = UUID.randomUUID().toString();
        String properties = "{ \"price\" : 1.50, \"name\":\"caf\\u00e9\", \"tags\":[\"a\", {\"b\":null}] }";
        String context = "{\"library\":{\"name\":\"analytics.js\",\"version\":\"5.2.1\"},\"locale\":\"fr-FR\"}";
        // An escaped surrogate pair: read as a tree and written out again, as every object was before.
        String traits = "{\"mood\": \"\\ud83d\\ude00\"}";
        String record = "{\"v\":1,\"source\":\"" + source + "\",\"messageId\":\"" + messageId + "\",\"type\":\"identify\","
                + "\"userId\":\"u-1\",\"properties\":" + properties + ",\"traits\":" + traits + ",\"context\":" + context
                + ",\"timestamp\":\"" + time + "\",\"receivedAt\":\"" + time + "\"}";
        producer.send(new ProducerRecord<>(RAW, source + ":" + messageId, record.getBytes(StandardCharsets.UTF_8))).get();

        LocalDate day = EventIndexLayout.eventDay(time);
        eventually(() -> rowsOf(messageId, day), rows -> !rows.isEmpty());
        List<Short> buckets = IntStream.range(0, EventIndexLayout.ORIGINAL_BUCKETS).mapToObj(b -> (short) b).toList();
        Row row = session.execute(SimpleStatement.newInstance("SELECT message_id, properties, traits, context "
                        + "FROM tidemark.events_by_day WHERE source = ? AND event_date = ? AND bucket IN ?", source, day, buckets))
                .all().stream().filter(r -> r.getString("message_id").equals(messageId)).findFirst().orElseThrow();
        assertEquals(properties, row.getString("properties"));
        assertEquals(context, row.getString("context"));
        assertEquals("{\"mood\":\"\uD83D\uDE00\"}", row.getString("traits"));
        ObjectMapper json = new ObjectMapper();
        assertEquals(json.readTree("{\"price\":1.50,\"name\":\"café\",\"tags\":[\"a\",{\"b\":null}]}"),
                json.readTree(row.getString("properties")));
    }

    @Test
    void newlyStoredEventIsPublishedToTheCleanTopicOnce() throws Exception {
        try (KafkaConsumer<String, byte[]> cleanTopic = readerAtEnd(CLEAN)) {
            Instant time = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            CollectedEvent event = event(UUID.randomUUID().toString(), time);
            int partition = 0;
            for (int copy = 0; copy < 3; copy++) {
                partition = send(event);
            }
            CollectedEvent marker = event("marker-" + UUID.randomUUID(), time);
            producer.send(new ProducerRecord<>(RAW, partition, marker.kafkaKey(), EventCodec.encode(marker))).get();

            // The two keys may land on different clean partitions, so the marker can be read first.
            List<ConsumerRecord<String, byte[]>> published = readUntil(cleanTopic, marker.kafkaKey(), event.kafkaKey());
            List<ConsumerRecord<String, byte[]>> mine = published.stream()
                    .filter(r -> event.kafkaKey().equals(r.key())).toList();
            assertEquals(1, mine.size());
            CollectedEvent decoded = EventCodec.decode(mine.get(0).value());
            assertEquals(event.messageId(), decoded.messageId());
            assertEquals(time, decoded.timestamp());
        }
    }

    @Test
    void storedDelayIsMeasuredFromIngestsReceiptNotFromTheEventTime() throws Exception {
        Timer delay = metrics.find("tidemark.dedup.stored.delay").timer();
        double before = delay.totalTime(java.util.concurrent.TimeUnit.SECONDS);
        // Happened two days ago (an offline phone), reached ingest five minutes ago, stored now.
        Instant receivedAt = Instant.now().minus(5, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.MILLIS);
        Instant time = receivedAt.minus(2, ChronoUnit.DAYS);
        CollectedEvent clicked = event(UUID.randomUUID().toString(), time);
        CollectedEvent received = new CollectedEvent(clicked.v(), clicked.source(), clicked.messageId(), clicked.type(),
                clicked.event(), clicked.name(), clicked.userId(), clicked.anonymousId(), clicked.groupId(),
                clicked.previousId(), clicked.properties(), clicked.traits(), clicked.context(), clicked.integrations(),
                clicked.timestamp(), clicked.originalTimestamp(), clicked.sentAt(), receivedAt, clicked.flags());
        send(received);
        eventually(() -> rowsOf(received.messageId(), EventIndexLayout.eventDay(time)), rows -> !rows.isEmpty());

        // Five minutes, not two days; other tests' events add only their own few milliseconds.
        double grown = eventually(() -> delay.totalTime(java.util.concurrent.TimeUnit.SECONDS) - before,
                seconds -> seconds >= 300);
        assertTrue(grown < 2 * 24 * 3600, "measured from receivedAt, not from the event time: " + grown + " s");
    }

    @Test
    void theDelayIsSplitIntoKafkaTheWaitForABatchAndTheTwoStages() throws Exception {
        Timer fetch = metrics.find("tidemark.dedup.fetch.delay").timer();
        Timer age = metrics.find("tidemark.dedup.batch.age").timer();
        Timer claim = metrics.find("tidemark.dedup.batch.stage").tag("stage", "claim").timer();
        Timer store = metrics.find("tidemark.dedup.batch.stage").tag("stage", "store").timer();
        double fetchBefore = fetch.totalTime(java.util.concurrent.TimeUnit.SECONDS);
        double ageBefore = age.totalTime(java.util.concurrent.TimeUnit.SECONDS);
        long claimsBefore = claim.count();
        long storesBefore = store.count();
        // Handed to Kafka ten minutes ago (the Kafka timestamp ingest's producer sets), taken now.
        Instant time = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        CollectedEvent event = event(UUID.randomUUID().toString(), time);
        producer.send(new ProducerRecord<>(RAW, null, time.minus(10, ChronoUnit.MINUTES).toEpochMilli(), event.kafkaKey(),
                EventCodec.encode(event))).get();
        eventually(() -> rowsOf(event.messageId(), EventIndexLayout.eventDay(time)), rows -> !rows.isEmpty());

        eventually(() -> store.count() - storesBefore, stores -> stores >= 1);
        assertTrue(claim.count() > claimsBefore, "the batch's claim stage is timed");
        double fetched = fetch.totalTime(java.util.concurrent.TimeUnit.SECONDS) - fetchBefore;
        double aged = age.totalTime(java.util.concurrent.TimeUnit.SECONDS) - ageBefore;
        // Ten minutes from the Kafka timestamp, not from the event time or ingest's receipt; other
        // tests' records add only their own few milliseconds.
        assertTrue(fetched >= 600 && fetched < 1200, "Kafka timestamp to taken: " + fetched + " s");
        assertTrue(aged >= 600 && aged < 1200, "Kafka timestamp to the batch's claims: " + aged + " s");
    }

    @Test
    void recordsReachTheConsumerWithoutAConverterSearchEach() throws Exception {
        long askedBefore = converters.asked();
        storeEvents(20);

        // With a consumer declared as KafkaRecord<String, byte[]>, SmallRye took the key's String for the
        // payload type and searched the converters for every record (a CDI lookup each), finding none.
        assertEquals(0, converters.asked() - askedBefore, "converter searches for 20 records");
    }

    @Test
    void recordsReachTheConsumerWithoutCarryingThreadContextsEach() throws Exception {
        long begunBefore = ContextPropagationProbe.begun();
        storeEvents(20);

        // The connector's streams are assembled when messaging starts, with Mutiny's context-propagation
        // decorator if it is still installed then; Quarkus wraps each record a connector hands over, and
        // Mutiny each acknowledgement's future. Together 2 % of dedup's CPU and 6 % of what it allocated.
        assertEquals(0, ContextPropagationProbe.begun() - begunBefore, "thread contexts carried for 20 records");
    }

    /** Sends {@code count} new events and waits until each has its row. */
    private void storeEvents(int count) throws Exception {
        Instant time = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        List<String> messageIds = IntStream.range(0, count).mapToObj(i -> UUID.randomUUID().toString()).toList();
        for (String messageId : messageIds) {
            send(event(messageId, time));
        }
        for (String messageId : messageIds) {
            eventually(() -> rowsOf(messageId, EventIndexLayout.eventDay(time)), rows -> !rows.isEmpty());
        }
    }

    @Test
    void ledgerRowsLiveForTheDedupWindowAndEventRowsForTheirTtl() throws Exception {
        Instant time = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        String messageId = UUID.randomUUID().toString();
        send(event(messageId, time));
        eventually(() -> rowsOf(messageId, EventIndexLayout.eventDay(time)), rows -> !rows.isEmpty());

        Row claim = session.execute(SimpleStatement.newInstance("SELECT TTL(event_time) AS ttl FROM "
                + "tidemark.message_claims WHERE source = ? AND bucket = ? AND message_id = ?", source,
                MessageLedger.bucket(source, messageId, MessageLedger.BUCKETS), messageId)).one();
        long window = config.window().toSeconds();
        assertTrue(claim.getInt("ttl") <= window && claim.getInt("ttl") > window - 600, "ledger TTL " + claim.getInt("ttl"));
        short bucket = rowsOf(messageId, EventIndexLayout.eventDay(time)).get(0).getShort("bucket");
        Row row = session.execute(SimpleStatement.newInstance("SELECT TTL(type) AS ttl FROM tidemark.events_by_day "
                        + "WHERE source = ? AND event_date = ? AND bucket = ? AND event_time = ? AND message_id = ?",
                source, EventIndexLayout.eventDay(time), bucket, time, messageId)).one();
        long eventTtl = config.eventTtl().toSeconds();
        assertTrue(row.getInt("ttl") <= eventTtl && row.getInt("ttl") > eventTtl - 600, "event TTL " + row.getInt("ttl"));
    }

    /** Reads the topic until a record with each of {@code keys} arrived (or patience ran out), returning all read. */
    private static List<ConsumerRecord<String, byte[]>> readUntil(KafkaConsumer<String, byte[]> consumer, String... keys) {
        List<ConsumerRecord<String, byte[]>> read = new ArrayList<>();
        Instant deadline = Instant.now().plus(PATIENCE);
        while (!List.of(keys).stream().allMatch(key -> read.stream().anyMatch(r -> key.equals(r.key())))
                && Instant.now().isBefore(deadline)) {
            consumer.poll(Duration.ofMillis(200)).forEach(read::add);
        }
        return read;
    }

    /**
     * Sends a marker event to {@code partition} and returns its messageId: once the marker is stored,
     * everything sent before it to that partition was processed.
     */
    private String sendMarker(int partition, Instant time) throws Exception {
        CollectedEvent marker = event("marker-" + UUID.randomUUID(), time);
        producer.send(new ProducerRecord<>(RAW, partition, marker.kafkaKey(), EventCodec.encode(marker))).get();
        return marker.messageId();
    }

    private static KafkaConsumer<String, byte[]> deadLetterReaderAtEnd() {
        return readerAtEnd("tidemark.events.dead-letter");
    }

    private static KafkaConsumer<String, byte[]> readerAtEnd(String topic) {
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        return consumer;
    }
}
