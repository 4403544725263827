package io.tidemark.faults;

import java.util.List;

/** The outcome of one scenario: the figures of the fault table. */
record ScenarioResult(String scenario, long acknowledged, long stored, long lost, long duplicated, long wrongDay,
        long martMismatchDays, String martNote, long abandoned, long abandonedStored, long retries, long duplicateSends,
        long maxRssMb, AckRates rates, LagRecovery lag, String notes) {

    boolean clean() {
        return lost == 0 && duplicated == 0 && wrongDay == 0;
    }

    static String table(List<ScenarioResult> results) {
        StringBuilder out = new StringBuilder();
        String format = "%-19s %12s %10s %6s %11s %10s %14s %10s %8s %9s %8s %9s %10s %9s %9s %9s %9s%n";
        out.append(String.format(format, "scenario", "acknowledged", "stored", "lost", "duplicated", "wrong-day",
                "mart-mismatch", "abandoned", "retries", "dup-sends", "max-RSS", "acks/s", "during", "ack-gap", "recovery", "peak-lag", "lag-back"));
        for (ScenarioResult r : results) {
            out.append(String.format(format, r.scenario, r.acknowledged, r.stored, r.lost, r.duplicated, r.wrongDay,
                    r.martNote.isEmpty() ? Long.toString(r.martMismatchDays) : r.martNote,
                    r.abandoned + (r.abandoned > 0 ? "(" + r.abandonedStored + " st)" : ""),
                    r.retries, r.duplicateSends, r.maxRssMb + " MB", String.format("%.0f", r.rates.beforePerSecond()),
                    String.format("%.0f %%", 100 * r.rates.duringShare()), r.rates.longestGapSeconds() + " s",
                    r.rates.recoverySeconds().isPresent() ? r.rates.recoverySeconds().getAsLong() + " s" : "-",
                    r.lag.peak(), r.lag.recoverySeconds().isPresent() ? r.lag.recoverySeconds().getAsLong() + " s" : "-"));
        }
        for (ScenarioResult r : results) {
            if (!r.notes.isEmpty()) {
                out.append(r.scenario).append(": ").append(r.notes).append('\n');
            }
        }
        out.append("acknowledged = distinct messageIds the client got a 2xx for; stored = those with a row in "
                + "tidemark.events_by_day; lost/duplicated/wrong-day count messageIds; mart-mismatch = days where "
                + "GET /api/v1/metrics/daily differs from the acknowledged count; abandoned = sent, never acknowledged "
                + "(how many of them are stored anyway); max-RSS = largest service RSS seen; acks/s = acknowledged "
                + "requests per second in the " + AckRates.BEFORE_SECONDS + " s before the fault (a request, single or batch, is one acknowledgement); during = the rate from fault to heal as a share of that; ack-gap = the "
                + "longest run of seconds without an acknowledgement; recovery = seconds from the heal until a 3 s "
                + "window reached " + Math.round(100 * AckRates.STEADY) + " % of the rate before (- = not before the load stopped); "
                + "peak-lag = the raw topic's highest consumer lag (acknowledged, not yet stored) from the fault on; lag-back = "
                + "seconds from the heal until that lag was back under its highest before the fault (at least 200).\n");
        return out.toString();
    }
}
