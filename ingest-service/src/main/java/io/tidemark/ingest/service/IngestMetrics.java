package io.tidemark.ingest.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.tidemark.event.CollectedEvent;
import io.tidemark.ingest.config.IngestConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import io.tidemark.ingest.service.rejection.EventNotStoredException;
import io.tidemark.ingest.service.rejection.EventTooLargeException;
import io.tidemark.ingest.service.rejection.InvalidEventException;
import io.tidemark.ingest.service.rejection.MalformedRequestException;
import io.tidemark.ingest.service.rejection.ProducerSaturatedException;
import io.tidemark.ingest.service.rejection.RateLimitExceededException;
import io.tidemark.ingest.service.rejection.UnknownWriteKeyException;

/**
 * Per-source collection metrics (Prometheus at {@code /q/metrics}): events accepted, events rejected
 * by reason, request bytes, and the time from receiving a request to Kafka's acknowledgement of it.
 */
@ApplicationScoped
public class IngestMetrics {

    /** Tag value for requests whose source is not known (no or a wrong write key). */
    public static final String UNKNOWN_SOURCE = "unknown";

    private static final ClientLibrary OTHER_LIBRARY = new ClientLibrary("other", "other");
    // values() copies its array on every call, and tally() asks once per event.
    private static final EventTime.Rule[] RULES = EventTime.Rule.values();

    private final MeterRegistry registry;
    private final int maxLibraries;
    // Meters are looked up once per source (and reason): the registry's lookup is too slow per event.
    private final Map<String, Counter> accepted = new ConcurrentHashMap<>();
    private final Map<String, Counter> bytes = new ConcurrentHashMap<>();
    private final Map<String, Timer> ackLatency = new ConcurrentHashMap<>();
    private final Map<String, Counter> rejected = new ConcurrentHashMap<>();
    private final Map<ClientCount, Counter> byClient = new ConcurrentHashMap<>();
    private final Map<EventTime.Rule, Counter> byTimeRule = new ConcurrentHashMap<>();
    private final Set<ClientLibrary> libraries = ConcurrentHashMap.newKeySet();

    public IngestMetrics(MeterRegistry registry, IngestConfig config) {
        this.registry = registry;
        this.maxLibraries = config.sdk().maxLibraries();
    }

    /**
     * What the accepted-events counters need to know of a list of events, taken before they are sent:
     * the events themselves must not be held until Kafka acknowledges them.
     */
    public Tally tally(List<CollectedEvent> events) {
        Map<ClientLibrary, Integer> libraries = new HashMap<>(4);
        Map<EventTime.Rule, Integer> rules = new EnumMap<>(EventTime.Rule.class);
        for (CollectedEvent event : events) {
            libraries.merge(ClientLibrary.of(event.context()), 1, Integer::sum);
            for (EventTime.Rule rule : RULES) {
                if (event.flags().contains(rule.flag())) {
                    rules.merge(rule, 1, Integer::sum);
                }
            }
        }
        return new Tally(events.size(), libraries, rules);
    }

    /** Accepted events counted by source, and by channel, client library and the event-time rule that decided them. */
    public void accepted(String source, Channel channel, Tally tally) {
        accepted(source, tally.events());
        tally.libraries().forEach((library, events) -> client(channel, library, "accepted", events));
        tally.rules().forEach((rule, events) -> byTimeRule.computeIfAbsent(rule, r -> Counter
                        .builder("tidemark.ingest.event.time.rule")
                        .description("Accepted events by the row of the event-time rule that decided their time")
                        .tag("rule", r.flag().wireName()).register(registry))
                .increment(events));
    }

    /** Counts of a list of events by client library and by event-time rule. */
    public record Tally(int events, Map<ClientLibrary, Integer> libraries, Map<EventTime.Rule, Integer> rules) {
    }

    /**
     * Events of one client library accepted or rejected, by channel. A client names its library, so only
     * the first {@code tidemark.ingest.sdk.max-libraries} (name, version) pairs are counted apart.
     */
    public void client(Channel channel, ClientLibrary library, String outcome, int events) {
        ClientLibrary counted = libraries.contains(library) || admit(library) ? library : OTHER_LIBRARY;
        byClient.computeIfAbsent(new ClientCount(channel, counted, outcome), k -> Counter
                        .builder("tidemark.ingest.client.events")
                        .description("Events by channel, client library (context.library) and outcome")
                        .tag("channel", channel.tag()).tag("library", counted.name()).tag("version", counted.version())
                        .tag("outcome", outcome).register(registry))
                .increment(events);
    }

    private synchronized boolean admit(ClientLibrary library) {
        if (libraries.size() >= maxLibraries) {
            return false;
        }
        libraries.add(library);
        return true;
    }

    private record ClientCount(Channel channel, ClientLibrary library, String outcome) {
    }

    private void accepted(String source, int events) {
        accepted.computeIfAbsent(source, s -> Counter.builder("tidemark.ingest.events.accepted")
                .description("Events acknowledged by Kafka and answered 2xx").tag("source", s).register(registry))
                .increment(events);
    }

    /**
     * Counts {@code events} refused for the reason {@code refusal} stands for, and hands it back to be
     * thrown: the one way the request path counts a refusal.
     */
    public <E extends RuntimeException> E refused(String source, int events, E refusal) {
        rejected(source, reasonOf(refusal), events);
        return refusal;
    }

    /** The {@code reason} tag of a refusal; an exception no rule names counts as {@code failed}. */
    static String reasonOf(RuntimeException refusal) {
        if (refusal instanceof EventTooLargeException) {
            return "too-large";
        }
        if (refusal instanceof InvalidEventException) {
            return "invalid";
        }
        if (refusal instanceof MalformedRequestException) {
            return "malformed";
        }
        if (refusal instanceof RateLimitExceededException) {
            return "rate-limited";
        }
        if (refusal instanceof UnknownWriteKeyException) {
            return "unauthorized";
        }
        if (refusal instanceof EventNotStoredException || refusal instanceof ProducerSaturatedException) {
            return "unavailable";
        }
        return "failed";
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
