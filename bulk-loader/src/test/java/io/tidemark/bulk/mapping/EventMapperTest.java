package io.tidemark.bulk.mapping;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.bulk.config.JobConfig;
import io.tidemark.bulk.config.JobConfigException;
import io.tidemark.bulk.config.JobConfigReader;
import io.tidemark.bulk.source.Columns;
import io.tidemark.bulk.source.SourceRow;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventMapperTest {

    private static final JobConfig ORDERS = JobConfigReader.read(Path.of("src/test/resources/jobs/orders.yaml"));
    private static final Instant CREATED = Instant.parse("2026-11-01T10:15:30.123456Z");
    private static final Instant UPDATED = Instant.parse("2026-11-03T08:00:00Z");

    private final EventMapper mapper = new EventMapper(ORDERS);

    private static SourceRow order(Object id, Object customer, Object anon, Object created, Instant updated) {
        return SourceRow.of(1, orderColumns(id, customer, anon, created, updated));
    }

    private static Map<String, Object> orderColumns(Object id, Object customer, Object anon, Object created, Instant updated) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("id", id);
        values.put("customer_id", customer);
        values.put("anon_id", anon);
        values.put("total", new BigDecimal("129.90"));
        values.put("paid", true);
        values.put("items", 3L);
        values.put("delivery", LocalDate.parse("2026-11-05"));
        values.put("note", null);
        values.put("created_at", created);
        values.put("updated_at", updated);
        values.put("client_ip", "10.0.0.7");
        return values;
    }

    @Test
    void columnsBecomePropertiesWithTheirNamesAndJsonTypes() throws Exception {
        MappedRow.Event mapped = assertInstanceOf(MappedRow.Event.class, mapper.map(order(42L, 7L, null, CREATED, UPDATED)));
        JsonNode event = new ObjectMapper().readTree(new ObjectMapper().writeValueAsString(mapped.event()));
        assertEquals("42", mapped.key());
        assertEquals("track", event.get("type").asText());
        assertEquals("Order Completed", event.get("event").asText());
        assertEquals("7", event.get("userId").asText());
        assertFalse(event.has("anonymousId"));
        assertEquals("2026-11-01T10:15:30.123456Z", event.get("timestamp").asText());
        JsonNode properties = event.get("properties");
        assertEquals(42, properties.get("order_id").asLong(), "renamed, still a number");
        assertTrue(properties.get("order_id").isIntegralNumber());
        assertTrue(properties.get("total").isNumber());
        assertTrue(new ObjectMapper().writeValueAsString(mapped.event()).contains("\"total\":129.90"), "exact, not a double");
        assertTrue(properties.get("paid").isBoolean());
        assertEquals(3, properties.get("items").asInt());
        assertEquals("2026-11-05", properties.get("delivery").asText());
        assertTrue(properties.get("note").isNull(), "a null column stays, as null");
        assertFalse(properties.has("updated_at"), "excluded");
        assertFalse(properties.has("created_at"), "it is the timestamp");
        assertFalse(properties.has("customer_id"), "it is the userId");
        assertFalse(properties.has("client_ip"), "it is a context field");
        assertEquals("10.0.0.7", event.at("/context/ip").asText());
        assertEquals("shop-db", event.at("/context/app/name").asText());
        assertEquals("tidemark-bulk-loader", event.at("/context/library/name").asText());
        assertEquals(mapped.messageId(), event.get("messageId").asText());
    }

    @Test
    void aRenameOntoAColumnTheQueryAlsoReturnsIsRefusedNamingBoth() {
        Map<String, Object> values = orderColumns(42L, 7L, null, CREATED, UPDATED);
        values.put("order_id", "A-42");
        SourceRow row = SourceRow.of(1, values);
        JobConfigException e = assertThrows(JobConfigException.class, () -> new EventMapper(ORDERS).map(row));
        assertTrue(e.getMessage().contains("id") && e.getMessage().contains("order_id"), e.getMessage());
    }

    @Test
    void theSameRowVersionAlwaysGetsTheSameMessageIdAndANewVersionAnother() {
        String first = ((MappedRow.Event) mapper.map(order(42L, 7L, null, CREATED, UPDATED))).messageId();
        String again = ((MappedRow.Event) new EventMapper(ORDERS).map(order(42L, 7L, null, CREATED, UPDATED))).messageId();
        String otherRow = ((MappedRow.Event) mapper.map(order(43L, 7L, null, CREATED, UPDATED))).messageId();
        String updated = ((MappedRow.Event) mapper.map(order(42L, 7L, null, CREATED, UPDATED.plusSeconds(1)))).messageId();
        assertEquals(first, again);
        assertNotEquals(first, otherRow);
        assertNotEquals(first, updated);
        assertEquals(first, MessageIds.of("orders", "orders", List.of("42"), UPDATED.toString()));
        // The ids of rows loaded by earlier versions of the loader: a changed formula would store every row again.
        assertEquals(UUID.nameUUIDFromBytes(("tidemark-bulk\u001forders\u001forders\u001f42\u001fv=" + UPDATED)
                .getBytes(StandardCharsets.UTF_8)).toString(), first);
    }

    @Test
    void aStreamedEventIsTheSameJsonAsItsTreeWithAConstantContextSplicedIn() throws Exception {
        JobConfig.Mapping orders = ORDERS.mapping();
        JobConfig constantContext = new JobConfig(ORDERS.job(), ORDERS.source(), new JobConfig.Mapping(orders.type(),
                orders.event(), orders.eventColumn(), orders.userId(), orders.anonymousId(), orders.timestamp(),
                orders.rename(), orders.exclude(), orders.context(), Map.of(), null), ORDERS.ingest(), ORDERS.window(), ORDERS.watermark());
        for (JobConfig job : List.of(ORDERS, constantContext)) {
            EventMapper streaming = new EventMapper(job);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            try (JsonGenerator out = new ObjectMapper().createGenerator(body)) {
                for (long id = 1; id <= 2; id++) {
                    assertInstanceOf(MappedRow.Written.class, streaming.write(order(id, 7L, null, CREATED, UPDATED), out));
                }
            }
            MappingIterator<JsonNode> written = new ObjectMapper().readerFor(JsonNode.class).readValues(body.toByteArray());
            for (long id = 1; id <= 2; id++) {
                MappedRow.Event tree = (MappedRow.Event) new EventMapper(job).map(order(id, 7L, null, CREATED, UPDATED));
                JsonNode event = written.next();
                assertEquals(new ObjectMapper().readTree(new ObjectMapper().writeValueAsString(tree.event())), event);
                assertEquals("tidemark-bulk-loader", event.at("/context/library/name").asText());
                assertEquals("shop-db", event.at("/context/app/name").asText());
            }
        }
    }

    @Test
    void aRowWithoutAnyUserIsUnmappableByKey() {
        MappedRow.Unmappable bad = assertInstanceOf(MappedRow.Unmappable.class, mapper.map(order(9L, null, " ", CREATED, UPDATED)));
        assertEquals("9", bad.key());
        assertEquals("userId", bad.field());
    }

    @Test
    void anUnreadableOrMissingTimeIsUnmappableByKey() {
        MappedRow.Unmappable text = assertInstanceOf(MappedRow.Unmappable.class,
                mapper.map(order(10L, 7L, null, "yesterday noon", UPDATED)));
        assertEquals("10", text.key());
        assertEquals("timestamp", text.field());
        MappedRow.Unmappable missing = assertInstanceOf(MappedRow.Unmappable.class, mapper.map(order(11L, 7L, null, null, UPDATED)));
        assertEquals("timestamp", missing.field());
    }

    @Test
    void aTimeAsTextWithAnOffsetIsRead() {
        MappedRow.Event mapped = assertInstanceOf(MappedRow.Event.class,
                mapper.map(order(12L, null, "anon-1", "2026-11-01T12:00:00+02:00", UPDATED)));
        assertEquals("2026-11-01T10:00:00Z", mapped.event().get("timestamp").asText());
        assertEquals("anon-1", mapped.event().get("anonymousId").asText());
    }

    @Test
    void aNullKeyIsReportedByRowNumber() {
        MappedRow.Unmappable bad = assertInstanceOf(MappedRow.Unmappable.class, mapper.map(order(null, 7L, null, CREATED, UPDATED)));
        assertEquals("row 1", bad.key());
        assertEquals("key", bad.field());
    }

    @Test
    void aColumnTheQueryReturnsTwiceIsRefusedBeforeAnyEventNotReadFromItsLastCopy() {
        // SELECT * FROM orders o JOIN customers c ...: both tables' id. Read by its last copy, the customer's id
        // was every order's key, and all orders of one customer got one messageId.
        Object[] values = {42L, 7L, null, CREATED, UPDATED, "10.0.0.7", 7L};
        SourceRow row = new SourceRow(1, new Columns("id", "customer_id", "anon_id", "created_at", "updated_at", "client_ip",
                "id"), values);
        JobConfigException e = assertThrows(JobConfigException.class, () -> new EventMapper(ORDERS).map(row));
        assertTrue(e.getMessage().contains("returns id more than once"), e.getMessage());
    }

    @Test
    void aColumnTheJobNamesThatTheQueryDoesNotReturnIsRefusedNamingTheSetting() {
        Map<String, Object> withoutVersion = orderColumns(42L, 7L, null, CREATED, UPDATED);
        withoutVersion.remove("updated_at");
        JobConfigException version = assertThrows(JobConfigException.class,
                () -> new EventMapper(ORDERS).map(SourceRow.of(1, withoutVersion)));
        // Read as null, the version dropped out of every messageId, and a row's later edits were dropped as copies.
        assertTrue(version.getMessage().contains("source.version: updated_at"), version.getMessage());

        Map<String, Object> withoutUser = orderColumns(42L, 7L, null, CREATED, UPDATED);
        withoutUser.remove("customer_id");
        JobConfigException user = assertThrows(JobConfigException.class,
                () -> new EventMapper(ORDERS).map(SourceRow.of(1, withoutUser)));
        assertTrue(user.getMessage().contains("mapping.user-id: customer_id"), user.getMessage());
    }

    @Test
    void aGroupCallTakesItsGroupIdFromItsColumn() {
        JobConfig.Mapping orders = ORDERS.mapping();
        assertThrows(JobConfigException.class, () -> new JobConfig.Mapping("group", null, null, orders.userId(),
                orders.anonymousId(), orders.timestamp(), orders.rename(), orders.exclude(), orders.context(),
                orders.contextColumns(), null), "ingest refuses a group call without a groupId");
        JobConfig groups = new JobConfig(ORDERS.job(), ORDERS.source(), new JobConfig.Mapping("group", null, null,
                orders.userId(), orders.anonymousId(), orders.timestamp(), orders.rename(), orders.exclude(), orders.context(),
                orders.contextColumns(), "client_ip"), ORDERS.ingest(), ORDERS.window(), ORDERS.watermark());
        MappedRow.Event event = assertInstanceOf(MappedRow.Event.class,
                new EventMapper(groups).map(order(42L, 7L, null, CREATED, UPDATED)));
        assertEquals("10.0.0.7", event.event().get("groupId").asText());
        assertEquals("group", event.event().get("type").asText());
        assertEquals(42, event.event().get("traits").get("order_id").asInt());
    }
}
