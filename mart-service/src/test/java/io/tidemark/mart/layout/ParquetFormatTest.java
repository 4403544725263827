package io.tidemark.mart.layout;

import org.apache.parquet.column.Encoding;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.io.LocalInputFile;
import org.duckdb.DuckDBDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Both versions of the setting, written by DuckDB with {@link ParquetFormat#copyOptions()} and read by
 * parquet-java: the same rows, in version 2's delta encodings or in version 1's plain and dictionary
 * ones, so a site with older readers gets files they can decode.
 */
class ParquetFormatTest {

    private static final String ROWS = "SELECT TIMESTAMPTZ '2026-10-05 00:00:00+00' + to_microseconds(i * 1000) AS event_time, "
            + "'message-' || i AS message_id, CASE WHEN i % 3 = 0 THEN NULL ELSE 'user-' || (i % 7) END AS user_id "
            + "FROM range(3000) r(i) ORDER BY event_time";
    private static final long MIDNIGHT_MICROS = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.parse("2026-10-05T00:00:00Z"));

    @TempDir
    Path dir;

    @Test
    void versionTwoIsWrittenInDeltaEncodingsAndVersionOneWithoutAnyWithTheSameRows() throws Exception {
        Path two = write(new ParquetFormat(ParquetFormat.Version.V2, 1), "two.parquet");
        Path one = write(new ParquetFormat(ParquetFormat.Version.V1, 3), "one.parquet");

        Set<Encoding> twoTime = encodings(two, "event_time");
        assertTrue(twoTime.contains(Encoding.DELTA_BINARY_PACKED), "version 2 event_time: " + twoTime);
        Set<Encoding> twoId = encodings(two, "message_id");
        assertTrue(twoId.stream().anyMatch(e -> e.name().startsWith("DELTA_")), "version 2 message_id: " + twoId);
        for (String column : List.of("event_time", "message_id", "user_id")) {
            Set<Encoding> oneColumn = encodings(one, column);
            assertFalse(oneColumn.stream().anyMatch(e -> e.name().startsWith("DELTA_")), "version 1 " + column + ": " + oneColumn);
        }

        List<String> rows = rows(two);
        assertEquals(3000, rows.size());
        assertEquals(MIDNIGHT_MICROS + "|message-0|", rows.get(0));
        assertEquals((MIDNIGHT_MICROS + 1000) + "|message-1|user-1", rows.get(1));
        assertEquals(rows, rows(one));
    }

    @Test
    void aLevelZstdLacksIsRefusedByName() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> new ParquetFormat(ParquetFormat.Version.V2, 23));
        assertTrue(refused.getMessage().contains("zstd-level"), refused.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ParquetFormat(ParquetFormat.Version.V2, 0));
        assertThrows(IllegalArgumentException.class, () -> new ParquetFormat(null, 1));
    }

    private Path write(ParquetFormat format, String name) throws Exception {
        Path file = dir.resolve(name);
        try (Connection duck = new DuckDBDriver().connect("jdbc:duckdb:", new Properties());
             Statement sql = duck.createStatement()) {
            sql.execute("SET TimeZone = 'UTC'");
            sql.execute("COPY (" + ROWS + ") TO '" + file + "' (" + format.copyOptions() + ")");
        }
        return file;
    }

    private static Set<Encoding> encodings(Path file, String column) throws Exception {
        try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file))) {
            Set<Encoding> encodings = new HashSet<>();
            reader.getRowGroups().forEach(group -> group.getColumns().stream()
                    .filter(chunk -> chunk.getPath().toDotString().equals(column))
                    .map(ColumnChunkMetaData::getEncodings).forEach(encodings::addAll));
            assertFalse(encodings.isEmpty(), file + " has no column " + column);
            return encodings;
        }
    }

    /** Each row as event_time in microseconds, message_id and user_id (empty when null), joined by '|'. */
    private static List<String> rows(Path file) throws Exception {
        return ParquetJavaRows.readAll(file, schema -> { }).stream()
                .map(row -> row.getLong("event_time", 0) + "|" + row.getString("message_id", 0) + "|"
                        + (row.getFieldRepetitionCount("user_id") == 0 ? "" : row.getString("user_id", 0)))
                .toList();
    }
}
