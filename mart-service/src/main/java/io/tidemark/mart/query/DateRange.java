package io.tidemark.mart.query;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/** An inclusive range of UTC days, as the dashboard API takes it. */
public record DateRange(LocalDate from, LocalDate to) {

    /** Parses {@code from} and {@code to} (YYYY-MM-DD) and checks order and length. */
    public static DateRange parse(String from, String to, int maxDays) {
        LocalDate start = day("from", from);
        LocalDate end = day("to", to);
        if (end.isBefore(start)) {
            throw new InvalidParameterException("to", "must not be before from");
        }
        long days = ChronoUnit.DAYS.between(start, end) + 1;
        if (days > maxDays) {
            throw new InvalidParameterException("to", "the range spans " + days + " days; at most " + maxDays + " are allowed");
        }
        return new DateRange(start, end);
    }

    /** Parses one YYYY-MM-DD parameter, naming it when it is missing or malformed. */
    public static LocalDate day(String name, String value) {
        if (value == null || value.isBlank()) {
            throw new InvalidParameterException(name, "is required (YYYY-MM-DD)");
        }
        try {
            return LocalDate.parse(value);
        } catch (DateTimeParseException e) {
            throw new InvalidParameterException(name, "must be a date as YYYY-MM-DD");
        }
    }
}
