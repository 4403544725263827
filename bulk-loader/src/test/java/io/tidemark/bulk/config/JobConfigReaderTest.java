package io.tidemark.bulk.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobConfigReaderTest {

    private static final Path JOBS = Path.of("src/test/resources/jobs");

    @Test
    void aJobNameIsFoundInTheJobsDirectoryAndEveryFieldIsRead() {
        JobConfig config = JobConfigReader.read(JobConfigReader.locate("orders", JOBS));
        assertEquals("orders", config.job());
        assertEquals(List.of("id"), config.source().key());
        assertEquals("updated_at", config.source().version());
        assertEquals(500, config.source().fetchSize());
        assertEquals(Duration.ofMinutes(10), config.source().readTimeout(), "the default");
        assertEquals("SHOP_DB_PASSWORD", config.source().passwordEnv());
        assertEquals("Order Completed", config.mapping().event());
        assertEquals(Map.of("id", "order_id"), config.mapping().rename());
        assertEquals(Map.of("ip", "client_ip"), config.mapping().contextColumns());
        assertEquals("http://127.0.0.1:8080", config.ingest().url(), "a trailing slash is dropped");
        assertEquals(2000, config.ingest().chunkRows());
        assertEquals("TIDEMARK_WRITE_KEY", config.ingest().writeKeyEnv());
        assertEquals(2, config.ingest().inFlightChunks(), "ingest runs two imports at once");
        assertEquals(Duration.ofMinutes(20), config.ingest().busyWait());
        assertEquals(Instant.parse("2026-01-01T00:00:00Z"), config.window().start());
        assertEquals(Duration.ofHours(6), config.window().step());
        assertEquals("127.0.0.1:9042", config.watermark().contactPoints());
    }

    @Test
    void aMisspeltKeyIsAnErrorNamingIt(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, Files.readString(JOBS.resolve("orders.yaml")).replace("user-id:", "userid:"));
        JobConfigException e = assertThrows(JobConfigException.class, () -> JobConfigReader.read(file));
        assertTrue(e.getMessage().contains("userid"), e.getMessage());
    }

    @Test
    void aMappingWithoutEventTimeIsRefusedNamingTheField(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, Files.readString(JOBS.resolve("orders.yaml")).replace("  timestamp: created_at\n", ""));
        JobConfigException e = assertThrows(JobConfigException.class, () -> JobConfigReader.read(file));
        assertTrue(e.getMessage().contains("mapping.timestamp"), e.getMessage());
    }

    @Test
    void aTextEncodingIsReadAndOneThisJvmDoesNotKnowIsRefusedNamingTheField(@TempDir Path dir) throws IOException {
        String orders = Files.readString(JOBS.resolve("orders.yaml"));
        Path file = dir.resolve("legacy.yaml");
        Files.writeString(file, orders.replace("  fetch-size: 500\n", "  fetch-size: 500\n  text-encoding: windows-1252\n"));
        assertEquals("windows-1252", JobConfigReader.read(file).source().textEncoding());
        Files.writeString(file, orders.replace("  fetch-size: 500\n", "  fetch-size: 500\n  text-encoding: latin-9-ish\n"));
        JobConfigException e = assertThrows(JobConfigException.class, () -> JobConfigReader.read(file));
        assertTrue(e.getMessage().contains("source.text-encoding: 'latin-9-ish' is not a character set"), e.getMessage());
    }

    @Test
    void aReadTimeoutIsReadAndOneThatIsNotPositiveIsRefusedNamingTheField(@TempDir Path dir) throws IOException {
        String orders = Files.readString(JOBS.resolve("orders.yaml"));
        Path file = dir.resolve("orders.yaml");
        Files.writeString(file, orders.replace("  fetch-size: 500\n", "  fetch-size: 500\n  read-timeout: PT30M\n"));
        assertEquals(Duration.ofMinutes(30), JobConfigReader.read(file).source().readTimeout());
        Files.writeString(file, orders.replace("  fetch-size: 500\n", "  fetch-size: 500\n  read-timeout: PT0S\n"));
        JobConfigException refused = assertThrows(JobConfigException.class, () -> JobConfigReader.read(file));
        assertTrue(refused.getMessage().contains("source.read-timeout: must be positive"), refused.getMessage());
    }

    @Test
    void anUnknownJobSaysWhereItWasLookedFor() {
        JobConfigException e = assertThrows(JobConfigException.class, () -> JobConfigReader.locate("nope", JOBS));
        assertTrue(e.getMessage().contains("nope.yaml"), e.getMessage());
    }
}
