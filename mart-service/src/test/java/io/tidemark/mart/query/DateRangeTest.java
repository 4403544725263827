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

    @Test
    void datesNoQueryCanReachAreRefusedNamingTheirParameter() {
        // Java reads each of these; DuckDB refuses +10000 as a date, and the queries add days to the last day.
        for (String far : new String[] {"+10000-01-01", "+999999999-12-31", "-0001-01-01", "0000-01-01",
                "1969-12-31", "3000-01-01", "9999-12-31", " 2026-01-01", "2026-1-01"}) {
            assertEquals("from", assertThrows(InvalidParameterException.class,
                    () -> DateRange.parse(far, "2026-01-01", 30000000), far).parameter());
            assertEquals("date", assertThrows(InvalidParameterException.class, () -> DateRange.day("date", far), far)
                    .parameter());
        }
        assertEquals(LocalDate.of(1970, 1, 1), DateRange.day("date", "1970-01-01"));
        assertEquals(LocalDate.of(2999, 12, 31), DateRange.day("date", "2999-12-31"));
    }
}
