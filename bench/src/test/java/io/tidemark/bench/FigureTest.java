package io.tidemark.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class FigureTest {

    @Test
    void ratioIsValueOverTheSameRunBaseline() {
        Figure ingest = new Figure("ingest", "events/s", 45_000, "ev/s", "ProducerPerformance", 60_000.0, ">= 0.6");
        assertEquals(0.75, ingest.ratio(), 1e-9);
    }

    @Test
    void aFigureWithoutBaselineHasNoRatio() {
        assertNull(Figure.alone("ingest", "rss", 250_000, "KiB", "< 300 MB").ratio());
    }

    @Test
    void numbersPrintWithThousandsSeparators() {
        assertEquals("1,234,567", ResultTable.number(1_234_567));
        assertEquals("0.75", ResultTable.number(0.75));
    }
}
