package io.tidemark.e2e;

/** Lookups in a service's log text ({@code ServiceProcess.logText()}), for the tests that assert what a stop logged. */
final class LogLines {

    private LogLines() {
    }

    /** The first line that contains {@code text}, or null. */
    static String first(String log, String text) {
        return log.lines().filter(line -> line.contains(text)).findFirst().orElse(null);
    }
}
