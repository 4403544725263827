package io.tidemark.bench;

/**
 * One measured figure, optionally beside the baseline it is judged against.
 *
 * @param baselineMetric what the baseline is, or null when the figure stands alone
 * @param baselineValue  the baseline measured in the same run, or null
 * @param goal           the target as a reader would say it ("ratio >= 0.6", "< 300 MB"), or null
 */
public record Figure(String area, String metric, double value, String unit,
                     String baselineMetric, Double baselineValue, String goal) {

    public static Figure alone(String area, String metric, double value, String unit, String goal) {
        return new Figure(area, metric, value, unit, null, null, goal);
    }

    /** value / baseline, or null without a baseline. */
    public Double ratio() {
        if (baselineValue == null || baselineValue == 0.0) {
            return null;
        }
        return value / baselineValue;
    }
}
