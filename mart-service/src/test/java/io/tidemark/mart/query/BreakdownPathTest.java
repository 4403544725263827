package io.tidemark.mart.query;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BreakdownPathTest {

    @Test
    void aJsonPathIsBoundAsQuotedKeysAndNeverInTheSql() {
        BreakdownPath path = BreakdownPath.parse("context.os.name");
        assertEquals(List.of("$.\"os\".\"name\""), path.parameters());
        assertEquals("try(json_extract_string(context, ?))", path.expression());
        assertEquals(List.of("$.\"utm-source\".\"$id\""), BreakdownPath.parse("properties.utm-source.$id").parameters());
        assertEquals("context.os.name", path.by());
    }

    @Test
    void typeAndEventAreColumnsWithoutParameters() {
        assertEquals("event", BreakdownPath.parse("event").expression());
        assertEquals("type", BreakdownPath.parse("type").expression());
        assertEquals(List.of(), BreakdownPath.parse("type").parameters());
    }

    @Test
    void fiveKeysOfSixtyFourCharactersAreTheLongestPath() {
        String key = "k".repeat(BreakdownPath.MAX_SEGMENT_LENGTH);
        String longest = "traits" + ("." + key).repeat(BreakdownPath.MAX_SEGMENTS);
        assertFalse(BreakdownPath.parse(longest).parameters().isEmpty());
        rejected(longest + ".k");
        rejected("traits." + key + "k");
    }

    @Test
    void anythingOutsideTheGrammarIsRejectedNamingBy() {
        for (String by : List.of("properties", "properties.", ".plan", "properties..plan", "properties.plan.",
                "properties.plan'", "properties.plan'; drop table x; --", "properties.plan\"", "properties.pl\\an",
                "properties.*", "properties.[0]", "properties.plän", "properties.计划", "PROPERTIES.plan",
                "user_id", "$.plan", " properties.plan", "properties.plan ", "properties.a b", "event.x",
                "properties." + "a".repeat(2000), "x".repeat(100_000), "")) {
            rejected(by);
        }
        rejected(null);
    }

    private static void rejected(String by) {
        InvalidParameterException e = assertThrows(InvalidParameterException.class, () -> BreakdownPath.parse(by),
                String.valueOf(by));
        assertEquals("by", e.parameter());
    }
}
