package io.tidemark.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.function.Executable;

/** The promise every fault scenario is held to, as assertions over its result. */
final class ScenarioAssertions {

    private ScenarioAssertions() {
    }

    /** Load with duplicates ran, and every acknowledged event is stored once, on its day. */
    static List<Executable> nothingLostOrDoubled(ScenarioResult result) {
        List<Executable> checks = new ArrayList<>();
        checks.add(() -> assertTrue(result.acknowledged() > 0, "the load acknowledged nothing: " + result));
        checks.add(() -> assertTrue(result.duplicateSends() > 0, "the load sent no duplicates: " + result));
        checks.add(() -> assertEquals(0, result.lost(), "acknowledged events missing from the index: " + result));
        checks.add(() -> assertEquals(0, result.duplicated(), "messageIds stored more than once: " + result));
        checks.add(() -> assertEquals(0, result.wrongDay(), "events stored on another day: " + result));
        checks.add(() -> assertEquals(result.acknowledged(), result.stored(), "stored differs from acknowledged: " + result));
        return checks;
    }
}
