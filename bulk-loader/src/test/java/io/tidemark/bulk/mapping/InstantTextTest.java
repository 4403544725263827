package io.tidemark.bulk.mapping;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class InstantTextTest {

    @Test
    void writesWhatInstantToStringWrites() {
        SplittableRandom random = new SplittableRandom(7);
        long first = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
        long end = Instant.parse("+10000-01-01T00:00:00Z").getEpochSecond();
        for (int i = 0; i < 200_000; i++) {
            long seconds = random.nextLong(first, end);
            int nanos = switch (i % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1_000;
                default -> random.nextInt(1_000_000_000);
            };
            Instant instant = Instant.ofEpochSecond(seconds, nanos);
            assertEquals(instant.toString(), InstantText.of(instant));
        }
    }

    @Test
    void yearsBeyondFourDigitsAreInstantToString() {
        for (String text : new String[] {"-0001-12-31T23:59:59Z", "+10000-01-01T00:00:00Z", "1970-01-01T00:00:00Z",
                "9999-12-31T23:59:59.999999999Z", "0000-01-01T00:00:00Z", "2026-11-01T10:15:30.120Z"}) {
            Instant instant = Instant.parse(text);
            assertEquals(instant.toString(), InstantText.of(instant), text);
        }
    }
}
