package io.tidemark.event;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/**
 * ISO-8601 instants on the hot path of a batch (several per event). The shapes SDKs send are read and
 * written by hand, about ten times faster than {@code java.time}'s formatters; anything else falls
 * back to those, so the accepted and produced text is exactly {@link OffsetDateTime#parse} and
 * {@link Instant#toString}.
 */
public final class Iso8601 {

    /** Room {@link #format(Instant, char[])} needs. */
    public static final int MAX_FORMATTED = 30;

    private static final int[] FRACTION_SCALE = {0, 100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100, 10, 1};

    private Iso8601() {
    }

    /** As {@code OffsetDateTime.parse(text).toInstant()}; throws {@link DateTimeParseException} alike. */
    public static Instant parse(String text) {
        Instant fast = parseCommon(text);
        return fast != null ? fast : OffsetDateTime.parse(text).toInstant();
    }

    /** {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}](Z|±HH:mm)}, or null for any other shape or an invalid value. */
    private static Instant parseCommon(String s) {
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
            if ((oh | om) < 0 || oh > 18 || om > 59) {
                return null;
            }
            offsetSeconds = (s.charAt(i) == '-' ? -1 : 1) * (oh * 3600 + om * 60);
        } else {
            return null;
        }
        try {
            return Instant.ofEpochSecond(LocalDateTime.of(year, month, day, hour, minute, second)
                    .toEpochSecond(ZoneOffset.ofTotalSeconds(offsetSeconds)), nanos);
        } catch (DateTimeException outOfRange) {
            return null;
        }
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
        char[] out = new char[MAX_FORMATTED];
        int length = format(instant, out);
        return length < 0 ? instant.toString() : new String(out, 0, length);
    }

    /**
     * Writes {@link Instant#toString()} as a JSON string through {@code buffer} (at least {@link #MAX_FORMATTED}
     * long, reused by the caller), without a String per instant: the event codec's and the bulk loader's writer.
     */
    public static void write(Instant instant, char[] buffer, JsonGenerator json) throws IOException {
        int length = format(instant, buffer);
        if (length < 0) {
            json.writeString(instant.toString());
        } else {
            json.writeString(buffer, 0, length);
        }
    }

    /**
     * Writes {@link Instant#toString()} into {@code out} (at least {@link #MAX_FORMATTED} long) and returns
     * its length, or -1 for years outside 0..9999; lets the event encoder write instants without a String each.
     */
    public static int format(Instant instant, char[] out) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(instant.getEpochSecond(), 0, ZoneOffset.UTC);
        if (t.getYear() < 0 || t.getYear() > 9999) {
            return -1;
        }
        put(out, 0, t.getYear(), 4);
        out[4] = '-';
        put(out, 5, t.getMonthValue(), 2);
        out[7] = '-';
        put(out, 8, t.getDayOfMonth(), 2);
        out[10] = 'T';
        put(out, 11, t.getHour(), 2);
        out[13] = ':';
        put(out, 14, t.getMinute(), 2);
        out[16] = ':';
        put(out, 17, t.getSecond(), 2);
        int length = 19;
        int nano = instant.getNano();
        if (nano != 0) {
            out[length++] = '.';
            if (nano % 1_000_000 == 0) {
                put(out, length, nano / 1_000_000, 3);
                length += 3;
            } else if (nano % 1_000 == 0) {
                put(out, length, nano / 1_000, 6);
                length += 6;
            } else {
                put(out, length, nano, 9);
                length += 9;
            }
        }
        out[length++] = 'Z';
        return length;
    }

    private static void put(char[] out, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            out[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }
}
