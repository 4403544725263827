package io.tidemark.bulk.mapping;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;

/**
 * An instant in exactly the text of {@link Instant#toString()} (ISO-8601 in UTC, the fraction in groups
 * of three digits, none when zero), written without {@code DateTimeFormatter}: every row has two or more
 * times, and the formatter was a seventh of the loader's CPU (bench/run bulk, JFR). Years outside
 * 0000-9999 take {@link Instant#toString()} itself.
 */
final class InstantText {

    private static final long FIRST = LocalDate.of(0, 1, 1).toEpochDay() * 86_400;
    private static final long END = LocalDate.of(10_000, 1, 1).toEpochDay() * 86_400;
    private static final int SECONDS_PER_DAY = 86_400;
    /** yyyy-MM-ddTHH:mm:ss.nnnnnnnnnZ */
    private static final int MAX_LENGTH = 30;

    private InstantText() {
    }

    static String of(Instant instant) {
        char[] text = new char[MAX_LENGTH];
        int length = format(instant, text);
        return length < 0 ? instant.toString() : new String(text, 0, length);
    }

    static void write(Instant instant, JsonGenerator out) throws IOException {
        char[] text = new char[MAX_LENGTH];
        int length = format(instant, text);
        if (length < 0) {
            out.writeString(instant.toString());
        } else {
            out.writeString(text, 0, length);
        }
    }

    /** The text's length, or -1 for a year this does not cover. */
    private static int format(Instant instant, char[] text) {
        long seconds = instant.getEpochSecond();
        if (seconds < FIRST || seconds >= END) {
            return -1;
        }
        LocalDate date = LocalDate.ofEpochDay(Math.floorDiv(seconds, SECONDS_PER_DAY));
        int secondOfDay = (int) Math.floorMod(seconds, SECONDS_PER_DAY);
        digits(text, 0, date.getYear(), 4);
        text[4] = '-';
        digits(text, 5, date.getMonthValue(), 2);
        text[7] = '-';
        digits(text, 8, date.getDayOfMonth(), 2);
        text[10] = 'T';
        digits(text, 11, secondOfDay / 3600, 2);
        text[13] = ':';
        digits(text, 14, secondOfDay / 60 % 60, 2);
        text[16] = ':';
        digits(text, 17, secondOfDay % 60, 2);
        int at = 19;
        int nanos = instant.getNano();
        if (nanos > 0) {
            text[at++] = '.';
            if (nanos % 1_000_000 == 0) {
                digits(text, at, nanos / 1_000_000, 3);
                at += 3;
            } else if (nanos % 1_000 == 0) {
                digits(text, at, nanos / 1_000, 6);
                at += 6;
            } else {
                digits(text, at, nanos, 9);
                at += 9;
            }
        }
        text[at++] = 'Z';
        return at;
    }

    private static void digits(char[] text, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            text[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }
}
