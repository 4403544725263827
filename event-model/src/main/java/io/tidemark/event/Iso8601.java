package io.tidemark.event;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.UTF8JsonGenerator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * ISO-8601 instants on the hot path of a batch (several per event). The shapes SDKs send are read and
 * written by hand, about ten times faster than {@code java.time}'s formatters; anything else falls
 * back to those, so the accepted and produced text is exactly {@link OffsetDateTime#parse} and
 * {@link Instant#toString}.
 */
public final class Iso8601 {

    /** Room {@link #format(Instant, byte[])} needs. */
    public static final int MAX_FORMATTED = 30;

    private static final long SECONDS_PER_DAY = 86_400;
    private static final long FIRST_SECOND_OF_YEAR_0 = -62_167_219_200L;
    private static final long LAST_SECOND_OF_YEAR_9999 = 253_402_300_799L;
    private static final long DAYS_0000_03_01_TO_EPOCH = 719_468;
    private static final long DAYS_PER_ERA = 146_097;

    /** "00" to "99", ASCII. */
    private static final byte[] TWO_DIGITS = new byte[200];

    static {
        for (int i = 0; i < 100; i++) {
            TWO_DIGITS[2 * i] = (byte) ('0' + i / 10);
            TWO_DIGITS[2 * i + 1] = (byte) ('0' + i % 10);
        }
    }

    private static final int[] FRACTION_SCALE = {0, 100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100, 10, 1};

    private Iso8601() {
    }

    /** As {@code OffsetDateTime.parse(text).toInstant()}; throws {@link DateTimeParseException} alike. */
    public static Instant parse(String text) {
        Instant fast = parseCommon(text);
        return fast != null ? fast : OffsetDateTime.parse(text).toInstant();
    }

    /**
     * {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}](Z|±HH:mm)}, or null for any other shape or an invalid value: a
     * caller whose own parser differs elsewhere (leap seconds, lenient forms) falls back to it on null.
     */
    static Instant parseCommon(String s) {
        int n = s.length();
        if (n < 20 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T' || s.charAt(13) != ':'
                || s.charAt(16) != ':') {
            return null;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        int hour = digits(s, 11, 2);
        int minute = digits(s, 14, 2);
        int second = digits(s, 17, 2);
        if ((year | month | day | hour | minute | second) < 0) {
            return null;
        }
        int i = 19;
        int nanos = 0;
        if (s.charAt(i) == '.') {
            int start = ++i;
            while (i < n && i - start < 9 && Character.isDigit(s.charAt(i))) {
                i++;
            }
            int count = i - start;
            if (count == 0 || (i < n && Character.isDigit(s.charAt(i)))) {
                return null;
            }
            nanos = digits(s, start, count) * FRACTION_SCALE[count];
        }
        int offsetSeconds;
        if (i == n - 1 && s.charAt(i) == 'Z') {
            offsetSeconds = 0;
        } else if (i == n - 6 && (s.charAt(i) == '+' || s.charAt(i) == '-') && s.charAt(i + 3) == ':') {
            int oh = digits(s, i + 1, 2);
            int om = digits(s, i + 4, 2);
            if ((oh | om) < 0 || oh > 18 || om > 59 || oh == 18 && om > 0) {
                return null;
            }
            offsetSeconds = (s.charAt(i) == '-' ? -1 : 1) * (oh * 3600 + om * 60);
        } else {
            return null;
        }
        if (month < 1 || month > 12 || day < 1 || day > lengthOfMonth(year, month) || hour > 23 || minute > 59
                || second > 59) {
            return null;
        }
        long epochSecond = epochDay(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
        return Instant.ofEpochSecond(epochSecond - offsetSeconds, nanos);
    }

    private static int lengthOfMonth(int year, int month) {
        return switch (month) {
            case 2 -> year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
    }

    /** Days from 1970-01-01 to a valid date of years 0..9999: {@link #format(Instant, byte[])}'s arithmetic turned round. */
    private static long epochDay(int year, int month, int day) {
        int yearFromMarch = month <= 2 ? year - 1 : year;
        long era = Math.floorDiv(yearFromMarch, 400);
        int yearOfEra = (int) (yearFromMarch - era * 400);
        int dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
        int dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
        return era * DAYS_PER_ERA + dayOfEra - DAYS_0000_03_01_TO_EPOCH;
    }

    private static int digits(String s, int from, int count) {
        int value = 0;
        for (int i = from; i < from + count; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    /** Exactly {@link Instant#toString()}. */
    public static String format(Instant instant) {
        byte[] out = new byte[MAX_FORMATTED];
        int length = format(instant, out);
        return length < 0 ? instant.toString() : new String(out, 0, length, StandardCharsets.ISO_8859_1);
    }

    /**
     * Writes {@link Instant#toString()} as a JSON string through {@code buffer} (at least {@link #MAX_FORMATTED}
     * long, reused by the caller), without a String per instant: the event codec's and the bulk loader's writer.
     * The text is ASCII and needs no escaping, so a UTF-8 generator takes its bytes as they are.
     */
    public static void write(Instant instant, byte[] buffer, JsonGenerator json) throws IOException {
        writeFormatted(instant, buffer, format(instant, buffer), json);
    }

    /** Writes {@code instant} as a JSON string, given what {@link #format(Instant, byte[])} made of it. */
    public static void writeFormatted(Instant instant, byte[] text, int length, JsonGenerator json) throws IOException {
        if (length < 0) {
            json.writeString(instant.toString());
        } else if (json instanceof UTF8JsonGenerator) {
            json.writeRawUTF8String(text, 0, length);
        } else {
            // A TokenBuffer or a character writer has no raw UTF-8 form.
            json.writeString(new String(text, 0, length, StandardCharsets.ISO_8859_1));
        }
    }

    /**
     * Writes {@link Instant#toString()} as ASCII into {@code out} (at least {@link #MAX_FORMATTED} long) and
     * returns its length, or -1 for years outside 0..9999. The date comes from days since the epoch by integer
     * arithmetic (the proleptic Gregorian calendar in 400-year eras, as {@code java.time} counts) and two
     * digits at a time from a table: an event's four instants took 7 % of ingest's CPU (issue #20).
     */
    public static int format(Instant instant, byte[] out) {
        long second = instant.getEpochSecond();
        if (second < FIRST_SECOND_OF_YEAR_0 || second > LAST_SECOND_OF_YEAR_9999) {
            return -1;
        }
        long days = Math.floorDiv(second, SECONDS_PER_DAY);
        int secondOfDay = (int) (second - days * SECONDS_PER_DAY);
        // Days counted from 0000-03-01, so that a leap day ends its year.
        long fromMarch = days + DAYS_0000_03_01_TO_EPOCH;
        long era = Math.floorDiv(fromMarch, DAYS_PER_ERA);
        int dayOfEra = (int) (fromMarch - era * DAYS_PER_ERA);
        int yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365;
        int dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        int monthFromMarch = (5 * dayOfYear + 2) / 153;
        int day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1;
        int month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
        int year = (int) (era * 400) + yearOfEra + (month <= 2 ? 1 : 0);
        twoDigits(out, 0, year / 100);
        twoDigits(out, 2, year % 100);
        out[4] = '-';
        twoDigits(out, 5, month);
        out[7] = '-';
        twoDigits(out, 8, day);
        out[10] = 'T';
        int hour = secondOfDay / 3600;
        int secondOfHour = secondOfDay - hour * 3600;
        int minute = secondOfHour / 60;
        twoDigits(out, 11, hour);
        out[13] = ':';
        twoDigits(out, 14, minute);
        out[16] = ':';
        twoDigits(out, 17, secondOfHour - minute * 60);
        int length = 19;
        int nano = instant.getNano();
        if (nano != 0) {
            out[length++] = '.';
            if (nano % 1_000_000 == 0) {
                digits(out, length, nano / 1_000_000, 3);
                length += 3;
            } else if (nano % 1_000 == 0) {
                digits(out, length, nano / 1_000, 6);
                length += 6;
            } else {
                digits(out, length, nano, 9);
                length += 9;
            }
        }
        out[length++] = 'Z';
        return length;
    }

    private static void twoDigits(byte[] out, int at, int value) {
        out[at] = TWO_DIGITS[2 * value];
        out[at + 1] = TWO_DIGITS[2 * value + 1];
    }

    private static void digits(byte[] out, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            out[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
    }
}
