package io.tidemark.bulk.source;

import io.tidemark.bulk.config.JobConfigException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class WindowQueryTest {

    @Test
    void boundsBecomeParametersInTheOrderTheyAppear() {
        WindowQuery query = WindowQuery.parse("SELECT * FROM t WHERE updated_at < :to AND updated_at >= :from");
        assertEquals("SELECT * FROM t WHERE updated_at < ? AND updated_at >= ?", query.sql());
        assertEquals(List.of(WindowQuery.Bound.TO, WindowQuery.Bound.FROM), query.parameters());
    }

    @Test
    void stringsCommentsIdentifiersAndCastsAreLeftAlone() {
        String sql = "SELECT ':from' AS a, \"x:to\", id::text, '10:30' -- :nope\n"
                + "/* :nope */ FROM t WHERE u >= :from AND u < :to AND s <> 'it''s :to'";
        WindowQuery query = WindowQuery.parse(sql);
        assertEquals("SELECT ':from' AS a, \"x:to\", id::text, '10:30' -- :nope\n"
                + "/* :nope */ FROM t WHERE u >= ? AND u < ? AND s <> 'it''s :to'", query.sql());
        assertEquals(List.of(WindowQuery.Bound.FROM, WindowQuery.Bound.TO), query.parameters());
    }

    @Test
    void aQueryWithoutBothBoundsIsRefused() {
        assertThrows(JobConfigException.class, () -> WindowQuery.parse("SELECT * FROM t WHERE u >= :from"));
    }

    @Test
    void anUnknownParameterIsRefusedRatherThanSentToTheDatabase() {
        assertThrows(JobConfigException.class, () -> WindowQuery.parse("SELECT * FROM t WHERE u >= :from AND u < :to AND x = :x"));
    }
}
