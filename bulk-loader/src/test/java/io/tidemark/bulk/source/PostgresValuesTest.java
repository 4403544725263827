package io.tidemark.bulk.source;

import com.fasterxml.jackson.databind.JsonNode;
import io.tidemark.bulk.config.JobConfig;
import io.tidemark.bulk.config.JobConfigException;
import io.tidemark.bulk.mapping.EventMapper;
import io.tidemark.bulk.mapping.MappedRow;
import io.tidemark.testsupport.PostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rows of a real PostgreSQL (Debian's server) read the way a load reads them, binary results included:
 * each column type reaches the event as the JSON its value means, never rounded, never a driver
 * object's name, and a type the reader did not expect never fails the window.
 */
class PostgresValuesTest {

    private static final Instant FROM = Instant.parse("2026-11-01T00:00:00Z");
    private static final Instant TO = Instant.parse("2026-11-02T00:00:00Z");

    private static PostgresServer postgres;

    @BeforeAll
    static void start() throws Exception {
        postgres = PostgresServer.start();
        try (Connection c = postgres.connect("shop"); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer_id text, total numeric(40, 10), "
                    + "meta jsonb, raw json, invoice xml, opens timetz, closes time, tags text[], created_at timestamptz, "
                    + "updated_at timestamptz)");
            s.execute("INSERT INTO orders VALUES (1, 'c-1', 123456789012345678901234567890.0123456789, "
                    + "'{\"price\": 12345678901234567890.123456789, \"rate\": 0.1000000000000000055511151231257827, "
                    + "\"count\": 123456789012345678901234567890, \"nested\": [1.10, {\"x\": 2.50}]}', "
                    + "'{\"amount\": 98765432109876543210.5}', '<invoice><line>1</line></invoice>', '09:30:00+02', "
                    + "'17:45:00', ARRAY['a', 'b'], '2026-11-01T10:00:00Z', '2026-11-01T10:00:00Z')");
        }
        try (Connection c = postgres.connect("postgres"); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE legacy ENCODING 'SQL_ASCII' TEMPLATE template0");
        }
        // What years of clients leave in a SQL_ASCII database: UTF-8 from one, windows-1252 from another, unchecked.
        try (Connection c = postgres.connect("legacy"); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE customers (id int PRIMARY KEY, name text, city varchar(40), notes json, tags text[], "
                    + "updated_at timestamptz)");
            s.execute("INSERT INTO customers VALUES "
                    + "(1, 'Zoë', 'Zürich', '{\"nick\": \"Zoë\"}', ARRAY['café'], '2026-11-01T10:00:00Z'), "
                    + "(2, E'Ren\\xe9e', E'K\\xf6ln', E'{\"nick\": \"\\x93Ren\\x94\"}', ARRAY[E'caf\\xe9', 'plain'], "
                    + "'2026-11-01T11:00:00Z'), "
                    + "(3, 'Ann', 'Oslo', '{}', ARRAY['x'], '2026-11-01T12:00:00Z')");
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void everyColumnArrivesAsTheJsonItsValueMeans() throws Exception {
        JsonNode properties = onlyEvent().get("properties");
        assertEquals(new BigDecimal("123456789012345678901234567890.0123456789"), properties.get("total").decimalValue());
        JsonNode meta = properties.get("meta");
        assertEquals(new BigDecimal("12345678901234567890.123456789"), meta.get("price").decimalValue(),
                "a json number kept every digit: " + meta);
        assertEquals(new BigDecimal("0.1000000000000000055511151231257827"), meta.get("rate").decimalValue(), meta.toString());
        assertEquals("123456789012345678901234567890", meta.get("count").bigIntegerValue().toString(), meta.toString());
        assertEquals("1.10", meta.at("/nested/0").decimalValue().toPlainString(), meta.toString());
        assertEquals(new BigDecimal("2.50"), meta.at("/nested/1/x").decimalValue(), meta.toString());
        assertEquals(new BigDecimal("98765432109876543210.5"), properties.at("/raw/amount").decimalValue(),
                "json as well as jsonb: " + properties);
        assertEquals("<invoice><line>1</line></invoice>", properties.get("invoice").asText(), "xml as its document");
        assertEquals("09:30+02:00", properties.get("opens").asText(), "timetz with its offset");
        assertEquals("17:45", properties.get("closes").asText());
        assertTrue(properties.get("tags").isArray() && properties.get("tags").size() == 2, properties.toString());
    }

    @Test
    void aSqlAsciiDatabasesTextIsReadAsUtf8WhereItIsAndInTheJobsTextEncodingWhereItIsNot() throws Exception {
        List<JsonNode> events = events("legacy", "SELECT * FROM customers WHERE updated_at >= :from AND updated_at < :to"
                + " ORDER BY id", "windows-1252");
        assertEquals(3, events.size());
        JsonNode utf8 = events.get(0).get("properties");
        assertEquals("Zoë", utf8.get("name").asText());
        assertEquals("Zürich", utf8.get("city").asText());
        assertEquals("Zoë", utf8.at("/notes/nick").asText());
        assertEquals("café", utf8.at("/tags/0").asText());
        JsonNode windows1252 = events.get(1).get("properties");
        assertEquals("Renée", windows1252.get("name").asText());
        assertEquals("Köln", windows1252.get("city").asText());
        assertEquals("\u201cRen\u201d", windows1252.at("/notes/nick").asText(), "windows-1252's quotation marks");
        assertEquals("café", windows1252.at("/tags/0").asText());
        assertEquals("plain", windows1252.at("/tags/1").asText());
        assertEquals("Ann", events.get(2).at("/properties/name").asText());
    }

    @Test
    void withoutATextEncodingTheWindowFailsNamingTheSetting() {
        SQLException refused = assertThrows(SQLException.class, () -> events("legacy",
                "SELECT * FROM customers WHERE updated_at >= :from AND updated_at < :to ORDER BY id", null));
        assertTrue(refused.getMessage().contains("source.text-encoding"), refused.getMessage());
        assertEquals("22021", refused.getSQLState());
    }

    @Test
    void aTextEncodingForAUtf8DatabaseIsRefusedBeforeAnyRowIsRead() {
        JobConfigException refused = assertThrows(JobConfigException.class, () -> events("shop",
                "SELECT * FROM orders WHERE updated_at >= :from AND updated_at < :to ORDER BY id", "windows-1252"));
        assertTrue(refused.getMessage().startsWith("source.text-encoding: the database's server_encoding is UTF8"),
                refused.getMessage());
    }

    @Test
    void aDatabaseThatDoesNotAnswerFailsTheWindowAtTheReadTimeoutAndSaysWhichSetting() {
        // The server holds its answer for a minute, as one does that stopped or went out of reach mid-read.
        long started = System.nanoTime();
        SQLException silent = assertThrows(SQLException.class, () -> events("shop", "SELECT o.* FROM orders o,"
                + " (SELECT pg_sleep(60)) AS pause WHERE updated_at >= :from AND updated_at < :to ORDER BY id", null,
                Duration.ofSeconds(2)));
        Duration waited = Duration.ofNanos(System.nanoTime() - started);
        assertTrue(waited.compareTo(Duration.ofSeconds(15)) < 0, "waited " + waited + " for a read bounded at 2 s");
        assertTrue(silent.getMessage().contains("source.read-timeout (PT2S)"), silent.getMessage());
    }

    private static JsonNode onlyEvent() throws Exception {
        List<JsonNode> events = events("shop", "SELECT * FROM orders WHERE updated_at >= :from AND updated_at < :to"
                + " ORDER BY id", null);
        assertEquals(1, events.size(), events.toString());
        return events.get(0);
    }

    /** The window's rows as a load maps them, each with {@code id} as key and {@code updated_at} as its time. */
    private static List<JsonNode> events(String database, String query, String textEncoding) throws Exception {
        return events(database, query, textEncoding, null);
    }

    private static List<JsonNode> events(String database, String query, String textEncoding, Duration readTimeout)
            throws Exception {
        // The password in the URL, so the test needs no environment variable of its own.
        String url = postgres.jdbcUrl(database) + "?user=" + PostgresServer.USER + "&password="
                + URLEncoder.encode(PostgresServer.PASSWORD, StandardCharsets.UTF_8);
        JobConfig job = new JobConfig("rows", new JobConfig.Source(url, null, null, query, "rows", List.of("id"), null, 100,
                textEncoding, readTimeout),
                new JobConfig.Mapping(null, "Row Read", null, null, "id", "updated_at", null, null, null, null, null),
                null, null, null);
        EventMapper mapper = new EventMapper(job);
        List<JsonNode> events = new ArrayList<>();
        try (JdbcRowSource source = JdbcRowSource.open(job.source())) {
            source.read(FROM, TO, row -> events.add(assertInstanceOf(MappedRow.Event.class, mapper.map(row)).event()));
        }
        return events;
    }
}
