package io.tidemark.event;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class Iso8601Test {

    @Test
    void formatsExactlyAsInstantToString() {
        Random random = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            long second = random.nextLong(-62_000_000_000L, 300_000_000_000L);
            int nano = switch (i % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1_000;
                default -> random.nextInt(1_000_000_000);
            };
            Instant instant = Instant.ofEpochSecond(second, nano);
            assertEquals(instant.toString(), Iso8601.format(instant));
        }
    }

    @Test
    void parsesExactlyAsOffsetDateTime() {
        for (String text : List.of("2026-11-25T12:00:00Z", "2026-11-25T12:00:00.1Z", "2026-11-25T12:00:00.123Z",
                "2026-11-25T12:00:00.123456789Z", "2026-11-25T12:00:00+05:30", "2026-11-25T12:00:00.5-08:00",
                "2024-02-29T23:59:59.999+14:00", "2026-11-25t12:00:00z", "2026-11-25T12:00Z", "2026-11-25T12:00:00.Z",
                "2026-11-25T12:00:00.000+00:00:30", "0001-01-01T00:00:00Z", "+12026-01-01T00:00:00Z")) {
            assertEquals(OffsetDateTime.parse(text).toInstant(), Iso8601.parse(text), text);
        }
    }

    @Test
    void refusesWhatOffsetDateTimeRefuses() {
        for (String text : List.of("yesterday", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-25T24:00:00Z",
                "2026-11-25T12:00:00+0100", "2026-11-25T12:00:00.1234567890Z", "2026-11-25T12:00:00", "2026-11-25 12:00:00Z",
                "2026-11-25T12:00:00+19:00", "2026-11-25T12:00:60Z")) {
            assertThrows(DateTimeParseException.class, () -> OffsetDateTime.parse(text), text);
            assertThrows(DateTimeParseException.class, () -> Iso8601.parse(text), text);
        }
    }
}
