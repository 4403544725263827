package io.tidemark.mart.query;

import org.junit.jupiter.api.Test;

import java.time.LocalDate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DateRangeTest {

    @Test
    void aSingleDayRangeIsValid() {
        DateRange range = DateRange.parse("2026-11-20", "2026-11-20", 366);
        assertEquals(LocalDate.of(2026, 11, 20), range.from());
        assertEquals(LocalDate.of(2026, 11, 20), range.to());
    }

    @Test
    void anInvertedRangeNamesTo() {
        assertEquals("to", assertThrows(InvalidParameterException.class,
                () -> DateRange.parse("2026-11-20", "2026-11-19", 366)).parameter());
    }

    @Test
    void aRangeOverTheMaximumIsRefused() {
        InvalidParameterException e = assertThrows(InvalidParameterException.class,
                () -> DateRange.parse("2026-01-01", "2026-01-31", 30));
        assertEquals("to: the range spans 31 days; at most 30 are allowed", e.getMessage());
    }

    @Test
    void missingOrMalformedDatesNameTheirParameter() {
        assertEquals("from", assertThrows(InvalidParameterException.class,
                () -> DateRange.parse(null, "2026-01-01", 30)).parameter());
        assertEquals("to", assertThrows(InvalidParameterException.class,
                () -> DateRange.parse("2026-01-01", "01/02/2026", 30)).parameter());
    }
}
