package io.tidemark.ingest.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-source collection metrics (Prometheus at {@code /q/metrics}): events accepted, events rejected
 * by reason, request bytes, and the time from receiving a request to Kafka's acknowledgement of it.
 */
@ApplicationScoped
public class IngestMetrics {

    /** Tag value for requests whose source is not known (no or a wrong write key). */
    public static final String UNKNOWN_SOURCE = "unknown";

    private final MeterRegistry registry;
    // Meters are looked up once per source (and reason): the registry's lookup is too slow per event.
    private final Map<String, Counter> accepted = new ConcurrentHashMap<>();
    private final Map<String, Counter> bytes = new ConcurrentHashMap<>();
    private final Map<String, Timer> ackLatency = new ConcurrentHashMap<>();
    private final Map<String, Counter> rejected = new ConcurrentHashMap<>();

    public IngestMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void accepted(String source, int events) {
        accepted.computeIfAbsent(source, s -> Counter.builder("tidemark.ingest.events.accepted")
                .description("Events acknowledged by Kafka and answered 2xx").tag("source", s).register(registry))
                .increment(events);
    }

    public void rejected(String source, String reason, int events) {
        rejected.computeIfAbsent(source + '\n' + reason, k -> Counter.builder("tidemark.ingest.events.rejected")
                .description("Events refused, by reason").tag("source", source).tag("reason", reason)
                .register(registry)).increment(events);
    }

    public void received(String source, long requestBytes) {
        bytes.computeIfAbsent(source, s -> Counter.builder("tidemark.ingest.request.bytes")
                .description("Request body bytes received, after decompression").baseUnit("bytes").tag("source", s)
                .register(registry)).increment(requestBytes);
    }

    public void acknowledged(String source, Duration sinceReceived) {
        ackLatency.computeIfAbsent(source, s -> Timer.builder("tidemark.ingest.ack.latency")
                .description("From receiving a request to Kafka's acknowledgement of all its events")
                .publishPercentileHistogram().tag("source", s).register(registry))
                .record(sinceReceived);
    }
}
