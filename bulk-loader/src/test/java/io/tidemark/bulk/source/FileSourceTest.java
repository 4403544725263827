package io.tidemark.bulk.source;

import com.fasterxml.jackson.databind.JsonNode;
import io.tidemark.bulk.config.JobConfig;
import io.tidemark.bulk.mapping.EventMapper;
import io.tidemark.bulk.mapping.MappedRow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CSV and Parquet files read through DuckDB's JDBC driver: the same window, mapping and messageIds as a database. */
class FileSourceTest {

    private static final Instant NOV_1 = Instant.parse("2026-11-01T00:00:00Z");
    private static final Instant NOV_2 = Instant.parse("2026-11-02T00:00:00Z");
    private static final Instant NOV_3 = Instant.parse("2026-11-03T00:00:00Z");

    @TempDir
    Path dir;

    private Path csv() throws Exception {
        Path csv = dir.resolve("orders.csv");
        Files.writeString(csv, """
                id,customer_id,total,paid,items,created_at,updated_at
                1,c-1,19.95,true,2,2026-11-01T10:00:00Z,2026-11-01T10:00:00Z
                2,c-2,5.5,false,1,2026-11-01T23:30:00Z,2026-11-02T01:00:00Z
                3,,7.25,true,3,2026-11-02T08:00:00Z,2026-11-02T08:00:00Z
                """);
        return csv;
    }

    private static JobConfig job(String from) {
        return new JobConfig("orders", new JobConfig.Source("jdbc:duckdb:", null, null,
                "SELECT * FROM " + from + " WHERE updated_at >= :from AND updated_at < :to ORDER BY id", "orders",
                List.of("id"), null, 100, null, null),
                new JobConfig.Mapping(null, "Order Completed", null, "customer_id", null, "created_at", null, null, null, null, null),
                null, null, null);
    }

    private static List<MappedRow> load(JobConfig job, Instant from, Instant to) throws Exception {
        EventMapper mapper = new EventMapper(job);
        List<MappedRow> rows = new ArrayList<>();
        try (JdbcRowSource source = JdbcRowSource.open(job.source())) {
            source.read(from, to, row -> rows.add(mapper.map(row)));
        }
        return rows;
    }

    @Test
    void aCsvWindowHoldsOnlyItsRowsWithTypedProperties() throws Exception {
        List<MappedRow> rows = load(job("read_csv('" + csv() + "')"), NOV_1, NOV_2);
        assertEquals(1, rows.size(), "row 2 was updated after the window: " + rows);
        JsonNode event = assertInstanceOf(MappedRow.Event.class, rows.get(0)).event();
        assertEquals("2026-11-01T10:00:00Z", event.get("timestamp").asText());
        assertEquals("c-1", event.get("userId").asText());
        JsonNode properties = event.get("properties");
        assertTrue(properties.get("id").isIntegralNumber(), properties.toString());
        assertTrue(properties.get("total").isNumber(), properties.toString());
        assertEquals(19.95, properties.get("total").asDouble(), 1e-9);
        assertTrue(properties.get("paid").isBoolean(), properties.toString());
        assertEquals("2026-11-01T10:00:00Z", properties.get("updated_at").asText());
    }

    @Test
    void duckDbsTimeWithZoneAndJsonArriveAsTheirValues() throws Exception {
        List<MappedRow> rows = load(job("(SELECT 1 AS id, 'c-1' AS customer_id, TIMESTAMPTZ '2026-11-01 10:00:00+00' AS created_at, "
                + "TIMESTAMPTZ '2026-11-01 10:00:00+00' AS updated_at, TIMETZ '09:30:00+02' AS opens, "
                + "'{\"price\": 12345678901234567890.123456789}'::JSON AS meta)"), NOV_1, NOV_2);
        JsonNode properties = assertInstanceOf(MappedRow.Event.class, rows.get(0)).event().get("properties");
        assertEquals("09:30+02:00", properties.get("opens").asText(), properties.toString());
        assertEquals(new java.math.BigDecimal("12345678901234567890.123456789"), properties.at("/meta/price").decimalValue(),
                properties.toString());
    }

    @Test
    void theSameRowsAsParquetGetTheSameMessageIdsAndARowWithoutUserIsReportedByKey() throws Exception {
        Path parquet = dir.resolve("orders.parquet");
        try (Connection duckdb = DriverManager.getConnection("jdbc:duckdb:")) {
            duckdb.createStatement().execute("COPY (SELECT * FROM read_csv('" + csv() + "')) TO '" + parquet + "' (FORMAT PARQUET)");
        }
        List<MappedRow> fromCsv = load(job("read_csv('" + csv() + "')"), NOV_1, NOV_3);
        List<MappedRow> fromParquet = load(job("read_parquet('" + parquet + "')"), NOV_1, NOV_3);
        assertEquals(3, fromParquet.size());
        for (int i = 0; i < 2; i++) {
            assertEquals(((MappedRow.Event) fromCsv.get(i)).messageId(), ((MappedRow.Event) fromParquet.get(i)).messageId());
            assertEquals(((MappedRow.Event) fromCsv.get(i)).event(), ((MappedRow.Event) fromParquet.get(i)).event());
        }
        MappedRow.Unmappable noUser = assertInstanceOf(MappedRow.Unmappable.class, fromParquet.get(2));
        assertEquals("3", noUser.key());
        assertEquals("userId", noUser.field());
    }
}
