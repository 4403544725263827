package io.tidemark.mart.query;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.regex.Pattern;

/** An inclusive range of UTC days, as the dashboard API takes it. */
public record DateRange(LocalDate from, LocalDate to) {

    /**
     * The days the API answers for. Java reads years past 9999 ("+10000-01-01"), which DuckDB refuses
     * as a date, and the queries add days to a range (a funnel's window, retention's periods): far
     * inside both ends, every day a query derives stays a four-digit year that SQL reads, and no event
     * falls outside them (event times before 1970 are not Segment's).
     */
    static final LocalDate FIRST = LocalDate.of(1970, 1, 1);
    static final LocalDate LAST = LocalDate.of(2999, 12, 31);
    private static final Pattern SHAPE = Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}");

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
        LocalDate day;
        try {
            day = SHAPE.matcher(value).matches() ? LocalDate.parse(value) : null;
        } catch (DateTimeParseException e) {
            day = null;
        }
        if (day == null) {
            throw new InvalidParameterException(name, "must be a date as YYYY-MM-DD");
        }
        if (day.isBefore(FIRST) || day.isAfter(LAST)) {
            throw new InvalidParameterException(name, "must be a date from " + FIRST + " to " + LAST);
        }
        return day;
    }
}
