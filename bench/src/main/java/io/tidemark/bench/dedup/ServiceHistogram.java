package io.tidemark.bench.dedup;

import io.tidemark.testsupport.ServiceProcess;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One of a service's own latency histograms, read from its Prometheus endpoint, series of the same
 * name summed: two readings give the percentiles of what was recorded between them. With ingest's
 * {@code tidemark_ingest_ack_latency_seconds} (request received to Kafka's acknowledgement) and
 * dedup's {@code tidemark_dedup_stored_delay_seconds} (ingest's receivedAt to the row stored), they
 * split the probe's figure into the services' parts, without touching either.
 */
final class ServiceHistogram {

    static final String INGEST_ACK = "tidemark_ingest_ack_latency_seconds";
    static final String DEDUP_STORED = "tidemark_dedup_stored_delay_seconds";
    /** Dedup's parts of {@link #DEDUP_STORED}, in order: Kafka's delivery, the wait for a batch, its two stages. */
    static final String DEDUP_FETCH = "tidemark_dedup_fetch_delay_seconds";
    static final String DEDUP_BATCH_AGE = "tidemark_dedup_batch_age_seconds";
    static final String DEDUP_CLAIM = "tidemark_dedup_batch_stage_seconds{stage=\"claim\"}";
    static final String DEDUP_STORE = "tidemark_dedup_batch_stage_seconds{stage=\"store\"}";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** Cumulative counts by upper bound in seconds, +Inf last. */
    private final TreeMap<Double, Double> cumulative;

    private ServiceHistogram(TreeMap<Double, Double> cumulative) {
        this.cumulative = cumulative;
    }

    /**
     * The histogram of {@code series}: a metric name, optionally followed by one label the series must
     * carry, as in {@code name{stage="claim"}}.
     */
    static ServiceHistogram read(ServiceProcess service, String series) throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(service.managementUri("/q/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        int brace = series.indexOf('{');
        String name = brace < 0 ? series : series.substring(0, brace);
        String label = brace < 0 ? "" : "(?=[^}]*" + Pattern.quote(series.substring(brace + 1, series.length() - 1)) + ")";
        Pattern bucketLine = Pattern.compile("^" + name + "_bucket\\{" + label + "[^}]*le=\"([^\"]+)\"[^}]*} ([0-9.E+]+)",
                Pattern.MULTILINE);
        TreeMap<Double, Double> counts = new TreeMap<>();
        Matcher bucket = bucketLine.matcher(response.body());
        while (bucket.find()) {
            double le = bucket.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(bucket.group(1));
            counts.merge(le, Double.parseDouble(bucket.group(2)), Double::sum);
        }
        return new ServiceHistogram(counts);
    }

    /**
     * The upper bound, in ms, of the bucket holding quantile {@code q} of what was recorded since
     * {@code earlier}; NaN if nothing was.
     */
    double quantileMillisSince(ServiceHistogram earlier, double q) {
        Map<Double, Double> before = earlier.cumulative;
        double total = cumulative.isEmpty() ? 0 : cumulative.lastEntry().getValue() - before.getOrDefault(cumulative.lastKey(), 0d);
        if (total <= 0) {
            return Double.NaN;
        }
        for (Map.Entry<Double, Double> e : cumulative.entrySet()) {
            if (e.getValue() - before.getOrDefault(e.getKey(), 0d) >= q * total) {
                return e.getKey() * 1000;
            }
        }
        return Double.POSITIVE_INFINITY;
    }
}
