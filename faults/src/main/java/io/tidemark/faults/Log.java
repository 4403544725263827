package io.tidemark.faults;

import java.time.LocalTime;
import java.time.format.DateTimeFormatter;

/** Progress lines of the suite, time-stamped, on standard output (the table is printed apart). */
final class Log {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

    private Log() {
    }

    static synchronized void info(String line) {
        System.out.println(LocalTime.now().format(TIME) + " " + line);
    }
}
