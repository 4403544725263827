package io.tidemark.event;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

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

    @Test
    void formatsTheEdgesOfTheFourDigitYearsAndOfLeapDaysExactly() {
        for (String text : List.of("0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "0000-02-29T12:00:00Z",
                "1900-02-28T23:59:59Z", "1900-03-01T00:00:00Z", "2000-02-29T00:00:00Z", "2000-03-01T00:00:00Z",
                "1969-12-31T23:59:59.999Z", "1970-01-01T00:00:00Z", "2100-02-28T00:00:00.000001Z", "2400-02-29T00:00:00Z")) {
            Instant instant = Instant.parse(text);
            assertEquals(text, Iso8601.format(instant));
            assertEquals(instant.minusNanos(1).toString(), Iso8601.format(instant.minusNanos(1)));
            assertEquals(instant.plusSeconds(1).toString(), Iso8601.format(instant.plusSeconds(1)));
        }
    }

    @Test
    void writesTheSameJsonStringThroughEveryKindOfGenerator() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        byte[] buffer = new byte[Iso8601.MAX_FORMATTED];
        for (Instant instant : List.of(Instant.parse("2026-12-04T01:02:03.456Z"), Instant.parse("-0001-12-31T23:59:59Z"),
                Instant.parse("+10000-01-01T00:00:00Z"), Instant.EPOCH)) {
            String expected = mapper.writeValueAsString(instant.toString());
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (JsonGenerator utf8 = mapper.createGenerator(bytes)) {
                Iso8601.write(instant, buffer, utf8);
            }
            assertEquals(expected, bytes.toString(StandardCharsets.UTF_8));
            StringWriter characters = new StringWriter();
            try (JsonGenerator writer = mapper.createGenerator(characters)) {
                Iso8601.write(instant, buffer, writer);
            }
            assertEquals(expected, characters.toString());
            try (TokenBuffer tokens = new TokenBuffer(mapper, false)) {
                Iso8601.write(instant, buffer, tokens);
                assertEquals(instant.toString(), mapper.readValue(tokens.asParser(), String.class));
            }
        }
    }

    @Test
    void parsesAndRefusesRandomTextsExactlyAsOffsetDateTime() {
        Random random = new Random(7);
        for (int i = 0; i < 50_000; i++) {
            String date = "%04d-%02d-%02d".formatted(random.nextInt(10_000), 1 + random.nextInt(13), 1 + random.nextInt(31));
            String time = "T%02d:%02d:%02d".formatted(random.nextInt(25), random.nextInt(61), random.nextInt(61));
            int fraction = random.nextInt(11);
            String fractionText = fraction == 0 ? "" : "." + String.valueOf(random.nextLong(1_000_000_000_000L, 10_000_000_000_000L)).substring(0, fraction);
            String offset = switch (random.nextInt(3)) {
                case 0 -> "Z";
                case 1 -> "%s%02d:%02d".formatted(random.nextBoolean() ? "+" : "-", random.nextInt(19), random.nextInt(60));
                default -> "%s%02d:%02d".formatted(random.nextBoolean() ? "+" : "-", 18, random.nextInt(2) * 30);
            };
            String text = date + time + fractionText + offset;
            Instant expected;
            try {
                expected = OffsetDateTime.parse(text).toInstant();
            } catch (DateTimeParseException refused) {
                assertThrows(DateTimeParseException.class, () -> Iso8601.parse(text), text);
                continue;
            }
            assertEquals(expected, Iso8601.parse(text), text);
        }
    }
}
