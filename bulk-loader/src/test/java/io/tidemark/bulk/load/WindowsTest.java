package io.tidemark.bulk.load;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class WindowsTest {

    private static final Instant FROM = Instant.parse("2026-11-01T00:00:00Z");
    private static final Instant TO = Instant.parse("2026-11-03T12:00:00Z");

    @Test
    void aRangeIsCutIntoStepsAndAShorterLastOne() {
        assertEquals(List.of(new Windows.Window(FROM, FROM.plus(Duration.ofDays(1))),
                new Windows.Window(FROM.plus(Duration.ofDays(1)), FROM.plus(Duration.ofDays(2))),
                new Windows.Window(FROM.plus(Duration.ofDays(2)), TO)), Windows.split(FROM, TO, Duration.ofDays(1)));
        assertEquals(List.of(new Windows.Window(FROM, TO)), Windows.split(FROM, TO, null));
    }

    @Test
    void aStepThatDoesNotMoveIsRefusedNotLoopedOnUntilTheHeapIsFull() {
        for (Duration step : List.of(Duration.ZERO, Duration.ofHours(-1))) {
            assertTimeoutPreemptively(Duration.ofSeconds(5),
                    () -> assertThrows(IllegalArgumentException.class, () -> Windows.split(FROM, TO, step)));
        }
    }
}
