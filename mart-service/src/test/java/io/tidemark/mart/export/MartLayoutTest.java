package io.tidemark.mart.export;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.LocalDate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MartLayoutTest {

    private final MartLayout layout = new MartLayout(Path.of("/marts"));

    @Test
    void aDayLivesInHivePartitionsOfSourceAndEventDate() {
        assertEquals(Path.of("/marts/source=web/event_date=2026-11-01"), layout.dayDir("web", LocalDate.of(2026, 11, 1)));
        assertEquals("/marts/source=web/event_date=*/*.parquet", layout.sourceGlob("web"));
    }

    @Test
    void partFilesAreNumberedWithFiveDigits() {
        assertEquals("part-00000.parquet", MartLayout.partFile(0));
        assertEquals("part-00012.parquet", MartLayout.partFile(12));
    }

    @Test
    void workDirectoriesAreSiblingsTheQueryGlobNeverMatches() {
        Path staging = layout.stagingDir("web", LocalDate.of(2026, 11, 1));
        assertEquals(layout.sourceDir("web"), staging.getParent().getParent());
        assertTrue(staging.getParent().getFileName().toString().startsWith("_"));
        assertFalse(staging.getParent().getFileName().toString().startsWith("event_date="));
    }
}
