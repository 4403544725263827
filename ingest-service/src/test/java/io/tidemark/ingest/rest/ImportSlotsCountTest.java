package io.tidemark.ingest.rest;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ImportSlotsCountTest {

    @Test
    void aSourceGetsItsShareAndEverySlotCountsOnceInAll() {
        ImportSlots slots = new ImportSlots(3, 2);
        assertEquals(ImportSlots.Outcome.TAKEN, slots.take("a"));
        assertEquals(ImportSlots.Outcome.TAKEN, slots.take("a"));
        assertEquals(ImportSlots.Outcome.SOURCE_BUSY, slots.take("a"));
        assertEquals(ImportSlots.Outcome.TAKEN, slots.take("b"));
        assertEquals(ImportSlots.Outcome.ALL_BUSY, slots.take("c"));
        // Its own cap first: a source at its share hears why, even when every slot is taken.
        assertEquals(ImportSlots.Outcome.SOURCE_BUSY, slots.take("a"));

        slots.release("a");
        assertEquals(ImportSlots.Outcome.TAKEN, slots.take("c"));
        assertEquals(ImportSlots.Outcome.ALL_BUSY, slots.take("a"));
        slots.release("b");
        slots.release("c");
        slots.release("a");
        assertEquals(ImportSlots.Outcome.TAKEN, slots.take("d"));
        assertEquals(ImportSlots.Outcome.TAKEN, slots.take("d"));
        assertEquals(ImportSlots.Outcome.TAKEN, slots.take("e"));
    }

    @Test
    void noSlotsIsASettingsMistake() {
        assertThrows(IllegalArgumentException.class, () -> new ImportSlots(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new ImportSlots(2, 0));
    }
}
