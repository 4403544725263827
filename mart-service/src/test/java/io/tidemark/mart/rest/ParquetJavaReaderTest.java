package io.tidemark.mart.rest;

import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.tidemark.event.EventIndexLayout;
import io.tidemark.mart.export.LatenessRollup;
import io.tidemark.mart.layout.MartLayout;
import io.tidemark.mart.layout.ParquetJavaRows;
import io.tidemark.mart.layout.Md5UserKey;
import io.tidemark.mart.layout.UserKeyHash;
import jakarta.inject.Inject;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimeUnit;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The day's files as a reader we did not write sees them: parquet-java (the reader under Spark and
 * Trino's Hive connector) reads the files the exporter really writes, for a day of hour slices and a
 * day of one file, each before and after a late event rewrote it. It checks what those readers rely
 * on: the types, every stored event exactly once with its values, event-time order within and across
 * files, and the row groups' event_time statistics that predicate pushdown skips by.
 */
@QuarkusTest
@TestProfile(ParquetJavaReaderTest.SlicesOfSeveralRowGroups.class)
@QuarkusTestResource(TempMartRoot.class)
class ParquetJavaReaderTest {

    private static final List<Integer> EVERY_HOUR = IntStream.range(0, 24).boxed().toList();
    private static final int PER_HOUR = 400;
    private static final long MICROS_PER_MILLI = 1000;
    private static final List<String> TEXT_COLUMNS = List.of("message_id", "type", "event", "user_id", "anonymous_id",
            "group_id", "previous_id", "properties", "traits", "context");

    /** Files of 128 KiB: a day of 9,600 small events is cut into slices, each of several 2,048-row groups. */
    public static class SlicesOfSeveralRowGroups implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tidemark.mart.export.target-file-bytes", "131072");
        }
    }

    @Inject
    QuarkusCqlSession session;

    @ConfigProperty(name = "tidemark.mart.export.root")
    Path root;

    @Test
    void aDayOfHourSlicesReadsBackWholeTypedSortedAndSkippableBeforeAndAfterALateEvent() throws Exception {
        StoredEvents events = new StoredEvents(session);
        LocalDate day = LocalDate.parse("2026-10-05");
        // Events with a value in every column, at times with milliseconds, two of them in the same millisecond.
        Instant noon = Instant.parse("2026-10-05T12:34:56.789Z");
        events.storeEveryColumn(noon, "every-a", "ünïcödé \"quoted\" text", Set.of("replayed", "sampled"));
        events.storeEveryColumn(noon, "every-b", "b", Set.of());
        events.storeEveryColumn(Instant.parse("2026-10-05T00:00:00.001Z"), "every-c", "first", Set.of("x"));
        events.storeInHours(day, EVERY_HOUR, PER_HOUR, "u");
        JsonPath first = events.exportSummary();
        assertEquals("whole day", first.getString("exported[0].reread"));

        Day read = assertDayReadsBack(events, day);
        assertTrue(read.files().size() >= 2, "the day is cut into slices: " + read.files());
        assertTrue(read.files().stream().allMatch(file -> MartLayout.hoursOf(file.getFileName().toString()).isPresent()),
                read.files().toString());
        assertTrue(read.rowGroups().values().stream().anyMatch(groups -> groups >= 2),
                "some file has several row groups: " + read.rowGroups());
        assertEveryColumn(read, "every-a", noon, "ünïcödé \"quoted\" text", Set.of("replayed", "sampled"));
        assertEveryColumn(read, "every-b", noon, "b", Set.of());

        // Days later: one event of 13:20 with every column, and another hour-marked one, rewrite one slice.
        Instant late = Instant.parse("2026-10-05T13:20:00.456Z");
        events.storeEveryColumn(late, "every-late", "late", Set.of("late"));
        events.storeInHours(day, List.of(13), 1, "late");
        JsonPath second = events.exportSummary();
        assertTrue(second.getString("exported[0].reread").startsWith("hours "), second.prettify());

        Day reread = assertDayReadsBack(events, day);
        assertEquals(read.rows().size() + 2, reread.rows().size());
        assertEveryColumn(reread, "every-a", noon, "ünïcödé \"quoted\" text", Set.of("replayed", "sampled"));
        assertEveryColumn(reread, "every-late", late, "late", Set.of("late"));
    }

    @Test
    void aDayOfOneFileRewrittenForAnEarlierLateEventReadsBackInOrder() throws Exception {
        StoredEvents events = new StoredEvents(session);
        LocalDate day = LocalDate.parse("2026-10-06");
        events.storeMany("2026-10-06T08:00:00Z", 300);
        events.storeEveryColumn(Instant.parse("2026-10-06T09:00:00.999Z"), "one-file", "one", Set.of("f"));
        events.exportSummary();
        Day read = assertDayReadsBack(events, day);
        assertEquals(List.of(MartLayout.partFile(0)), read.files().stream().map(f -> f.getFileName().toString()).toList());

        // An event from before every other one of the day must come first in the rewritten file.
        Instant earliest = Instant.parse("2026-10-06T00:00:00.123Z");
        events.storeEveryColumn(earliest, "earliest", "early", Set.of());
        assertEquals(1, events.export());
        Day reread = assertDayReadsBack(events, day);
        assertEquals(read.rows().size() + 1, reread.rows().size());
        assertEquals("earliest", reread.rows().get(0).getString("message_id", 0));
        assertEveryColumn(reread, "earliest", earliest, "early", Set.of());
        assertEveryColumn(reread, "one-file", Instant.parse("2026-10-06T09:00:00.999Z"), "one", Set.of("f"));
    }

    /** The day's part files in file order, their rows in that order, and each file's number of row groups. */
    private record Day(List<Path> files, List<Group> rows, Map<Path, Integer> rowGroups) {
    }

    /**
     * Reads every part file of the day with parquet-java and checks it against the day's rows in Cassandra;
     * then reads the users and lateness rollups and the day's summary and checks them against the same rows.
     */
    private Day assertDayReadsBack(StoredEvents events, LocalDate day) throws Exception {
        Path dir = root.resolve("source=" + events.source).resolve("event_date=" + day);
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            // The names sort in the order of their hours and, within a slice, of their index: the file order.
            files = list.filter(file -> MartLayout.isPart(file.getFileName().toString())).sorted().toList();
        }
        assertFalse(files.isEmpty(), "no part file in " + dir);
        List<Group> rows = new ArrayList<>();
        Map<Path, Integer> rowGroups = new TreeMap<>();
        Long previousGroupMax = null;
        for (Path file : files) {
            try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file))) {
                MessageType schema = reader.getFooter().getFileMetaData().getSchema();
                assertEventSchema(schema, file);
                List<BlockMetaData> blocks = reader.getRowGroups();
                rowGroups.put(file, blocks.size());
                int block = 0;
                PageReadStore pages;
                while ((pages = reader.readNextRowGroup()) != null) {
                    List<Group> groupRows = ParquetJavaRows.rowsOf(pages, schema);
                    String where = file.getFileName() + " row group " + block;
                    Statistics<?> stats = eventTimeStatistics(blocks.get(block), where);
                    // The shipped format (ParquetFormat): version 2, whose delta encodings parquet-java decodes here.
                    Set<Encoding> encodings = eventTime(blocks.get(block)).getEncodings();
                    assertTrue(encodings.contains(Encoding.DELTA_BINARY_PACKED),
                            where + ": event_time in version 2's delta encoding: " + encodings);
                    long min = (Long) stats.genericGetMin();
                    long max = (Long) stats.genericGetMax();
                    assertEquals(micros(groupRows.get(0)), min, where + ": min is the first row's event_time");
                    assertEquals(micros(groupRows.get(groupRows.size() - 1)), max, where + ": max is the last row's");
                    if (previousGroupMax != null) {
                        assertTrue(previousGroupMax <= min, where + " starts before the group before it ends: "
                                + previousGroupMax + " > " + min);
                    }
                    previousGroupMax = max;
                    rows.addAll(groupRows);
                    block++;
                }
                assertEquals(blocks.size(), block, file + ": every row group of the footer was read");
            }
        }

        // Sorted by (event_time, message_id) within and across files, as the exporter orders a day.
        for (int i = 1; i < rows.size(); i++) {
            Group before = rows.get(i - 1);
            Group row = rows.get(i);
            assertTrue(micros(before) < micros(row) || micros(before) == micros(row)
                    && before.getString("message_id", 0).compareTo(row.getString("message_id", 0)) < 0,
                    "row " + i + " of the day is out of order: " + row);
        }

        // Every stored event exactly once, with its event time to the microsecond, name and user.
        Map<String, Row> stored = storedRows(events.source, day);
        Set<String> seen = new HashSet<>();
        for (Group row : rows) {
            String messageId = row.getString("message_id", 0);
            assertTrue(seen.add(messageId), messageId + " is in the day's files twice");
            Row expected = stored.get(messageId);
            assertNotNull(expected, messageId + " was never stored");
            assertEquals(ChronoUnit.MICROS.between(Instant.EPOCH, expected.getInstant("event_time")), micros(row), messageId);
            assertEquals(expected.getString("event"), row.getString("event", 0), messageId);
            assertEquals(expected.getString("user_id"), text(row, "user_id"), messageId);
        }
        assertEquals(stored.keySet(), seen, "the day's files hold every stored event");

        assertUsersRollup(dir, stored.values());
        assertLatenessRollup(dir, day, stored.values());
        assertSummary(events.source, day, stored.size());
        return new Day(files, rows, rowGroups);
    }

    /** The event file schema outside readers map: names, physical types, UTC timestamps in microseconds, UTF-8 strings. */
    private static void assertEventSchema(MessageType schema, Path file) {
        assertEquals(List.of("event_time", "message_id", "type", "event", "user_id", "anonymous_id", "group_id",
                "previous_id", "properties", "traits", "context", "received_at", "sent_at", "flags"),
                schema.getFields().stream().map(Type::getName).toList(), file.toString());
        for (String column : List.of("event_time", "received_at", "sent_at")) {
            PrimitiveType type = schema.getType(column).asPrimitiveType();
            assertEquals(PrimitiveTypeName.INT64, type.getPrimitiveTypeName(), file + " " + column);
            assertEquals(LogicalTypeAnnotation.timestampType(true, TimeUnit.MICROS), type.getLogicalTypeAnnotation(),
                    file + " " + column + " is an instant, adjusted to UTC");
        }
        for (String column : TEXT_COLUMNS) {
            assertString(schema.getType(column), file + " " + column);
        }
        // A standard three-level LIST of strings (Spark's array<string>, Trino's array(varchar)).
        GroupType flags = schema.getType("flags").asGroupType();
        assertEquals(LogicalTypeAnnotation.listType(), flags.getLogicalTypeAnnotation(), file + " flags");
        GroupType repeated = flags.getType(0).asGroupType();
        assertTrue(repeated.isRepetition(Type.Repetition.REPEATED), file + " flags' middle level is repeated");
        assertString(repeated.getType(0), file + " flags' element");
    }

    private static void assertString(Type type, String what) {
        assertTrue(type.isPrimitive(), what);
        assertEquals(PrimitiveTypeName.BINARY, type.asPrimitiveType().getPrimitiveTypeName(), what);
        assertEquals(LogicalTypeAnnotation.stringType(), type.getLogicalTypeAnnotation(), what + " is a UTF-8 string");
    }

    private static ColumnChunkMetaData eventTime(BlockMetaData block) {
        return block.getColumns().stream()
                .filter(column -> column.getPath().toDotString().equals("event_time")).findFirst().orElseThrow();
    }

    /** The row group's event_time statistics: there, with a min and max, and no nulls. */
    private static Statistics<?> eventTimeStatistics(BlockMetaData block, String where) {
        Statistics<?> stats = eventTime(block).getStatistics();
        assertNotNull(stats, where + " has event_time statistics");
        assertFalse(stats.isEmpty(), where + " has event_time statistics");
        assertTrue(stats.hasNonNullValue(), where + " has a min and max event_time");
        assertEquals(0, stats.getNumNulls(), where);
        return stats;
    }

    /** An event written by {@link StoredEvents#storeEveryColumn}, read back value for value. */
    private static void assertEveryColumn(Day day, String messageId, Instant eventTime, String text, Set<String> flags) {
        Group row = day.rows().stream().filter(r -> r.getString("message_id", 0).equals(messageId)).findFirst().orElseThrow();
        assertEquals(ChronoUnit.MICROS.between(Instant.EPOCH, eventTime), micros(row));
        assertEquals(eventTime.toEpochMilli() * MICROS_PER_MILLI, row.getLong("event_time", 0), "whole milliseconds");
        assertEquals(ChronoUnit.MICROS.between(Instant.EPOCH, eventTime.plusSeconds(1)), row.getLong("received_at", 0));
        assertEquals(ChronoUnit.MICROS.between(Instant.EPOCH, eventTime.minusMillis(1)), row.getLong("sent_at", 0));
        assertEquals("track", row.getString("type", 0));
        for (String column : List.of("event", "user_id", "anonymous_id", "group_id", "previous_id")) {
            assertEquals(text, row.getString(column, 0), messageId + " " + column);
        }
        String json = "{\"k\":\"" + text + "\"}";
        for (String column : List.of("properties", "traits", "context")) {
            assertEquals(json, row.getString(column, 0), messageId + " " + column + " is the JSON text as stored");
        }
        // A list, empty for an event without flags: a reader gets [] there, never null.
        assertEquals(1, row.getFieldRepetitionCount("flags"), messageId + " flags is a list");
        Set<String> read = new HashSet<>();
        Group list = row.getGroup("flags", 0);
        for (int i = 0; i < list.getFieldRepetitionCount(0); i++) {
            read.add(list.getGroup(0, i).getString(0, 0));
        }
        assertEquals(flags, read, messageId + " flags");
    }

    /** The users rollup: one BIGINT user_hash per distinct user of the day, each the MD5 key of a stored user. */
    private static void assertUsersRollup(Path dir, Iterable<Row> stored) throws Exception {
        Set<Long> expected = new HashSet<>();
        for (Row row : stored) {
            String user = row.getString("user_id") != null ? row.getString("user_id") : row.getString("anonymous_id");
            if (user != null) {
                expected.add(Md5UserKey.of(user));
            }
        }
        List<Group> rows = ParquetJavaRows.readAll(dir.resolve(MartLayout.USERS_ROLLUP), schema -> {
            assertEquals(1, schema.getFieldCount(), schema.toString());
            PrimitiveType column = schema.getType(UserKeyHash.COLUMN).asPrimitiveType();
            assertEquals(PrimitiveTypeName.INT64, column.getPrimitiveTypeName());
            assertTrue(column.getLogicalTypeAnnotation() == null
                    || column.getLogicalTypeAnnotation().equals(LogicalTypeAnnotation.intType(64, true)),
                    "a signed BIGINT, which every reader has: " + column);
        });
        List<Long> keys = rows.stream().map(row -> row.getLong(UserKeyHash.COLUMN, 0)).toList();
        assertEquals(keys.size(), new HashSet<>(keys).size(), "each user once");
        assertEquals(expected, new HashSet<>(keys), "the day's distinct users");
    }

    /** The lateness rollup: events by UTC hour of event time, summed over delay bounds, as counted from the stored rows. */
    private static void assertLatenessRollup(Path dir, LocalDate day, Iterable<Row> stored) throws Exception {
        Map<Integer, Long> expected = new TreeMap<>();
        Instant start = day.atStartOfDay(ZoneOffset.UTC).toInstant();
        for (Row row : stored) {
            expected.merge((int) ChronoUnit.HOURS.between(start, row.getInstant("event_time")), 1L, Long::sum);
        }
        List<Group> rows = ParquetJavaRows.readAll(dir.resolve(MartLayout.LATENESS_ROLLUP), schema -> {
            assertEquals(List.of(LatenessRollup.HOUR, LatenessRollup.BOUND, LatenessRollup.EVENTS),
                    schema.getFields().stream().map(Type::getName).toList());
            PrimitiveType hour = schema.getType(LatenessRollup.HOUR).asPrimitiveType();
            assertEquals(PrimitiveTypeName.INT32, hour.getPrimitiveTypeName());
            assertEquals(LogicalTypeAnnotation.intType(8, true), hour.getLogicalTypeAnnotation(), "a TINYINT");
            assertEquals(PrimitiveTypeName.INT64, schema.getType(LatenessRollup.BOUND).asPrimitiveType().getPrimitiveTypeName());
            assertEquals(PrimitiveTypeName.INT64, schema.getType(LatenessRollup.EVENTS).asPrimitiveType().getPrimitiveTypeName());
        });
        Map<Integer, Long> read = new TreeMap<>();
        for (Group row : rows) {
            read.merge(row.getInteger(LatenessRollup.HOUR, 0), row.getLong(LatenessRollup.EVENTS, 0), Long::sum);
        }
        assertEquals(expected, read, "events by hour of event time");
    }

    /** The day's summary file: the day's events. */
    private void assertSummary(String source, LocalDate day, long events) throws Exception {
        Path summary = root.resolve(MartLayout.DAILY).resolve("source=" + source).resolve("event_date=" + day)
                .resolve(MartLayout.SUMMARY);
        List<Group> rows = ParquetJavaRows.readAll(summary, schema -> assertEquals(PrimitiveTypeName.INT64,
                schema.getType("events").asPrimitiveType().getPrimitiveTypeName()));
        assertEquals(1, rows.size());
        assertEquals(events, rows.get(0).getLong("events", 0));
    }

    /** The day's rows in Cassandra, by messageId, from every bucket of the original layout. */
    private Map<String, Row> storedRows(String source, LocalDate day) {
        Map<String, Row> rows = new HashMap<>();
        for (short bucket = 0; bucket < EventIndexLayout.ORIGINAL_BUCKETS; bucket++) {
            for (Row row : session.execute(SimpleStatement.newInstance("SELECT message_id, event_time, event, user_id, "
                    + "anonymous_id FROM tidemark.events_by_day WHERE source = ? AND event_date = ? AND bucket = ?",
                    source, day, bucket))) {
                rows.put(row.getString("message_id"), row);
            }
        }
        return rows;
    }

    private static long micros(Group row) {
        return row.getLong("event_time", 0);
    }

    private static String text(Group row, String column) {
        return row.getFieldRepetitionCount(column) == 0 ? null : row.getString(column, 0);
    }
}
