package io.tidemark.faults;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Dedup's side of "back to steady state": the raw topic's consumer lag (records ingest acknowledged
 * that dedup has not stored and committed yet), sampled every two seconds while a scenario runs.
 * Acknowledgements recovering says ingest is back; the lag falling back to where it stood before the
 * fault says the whole pipeline is.
 */
final class LagSampler {

    private static final Duration EVERY = Duration.ofSeconds(2);
    /** A lag this small is steady whatever stood before: a few requests' worth in flight. */
    private static final long FLOOR = 200;

    private final String bootstrap;
    /** Epoch second of the sample -> lag; samples Kafka could not answer are left out. */
    private final Map<Long, Long> samples = new ConcurrentSkipListMap<>();
    private Periodic sampling;

    LagSampler(String bootstrap) {
        this.bootstrap = bootstrap;
    }

    void start() {
        sampling = Periodic.start("lag-sampler", EVERY, () -> {
            long lag = ConsumerLag.rawTopicLag(bootstrap);
            if (lag >= 0) {
                sample(Instant.now().getEpochSecond(), lag);
            }
        });
    }

    void stop() {
        sampling.stop();
    }

    /** Records a lag seen at {@code epochSecond} (the sampler's own thread, or a test). */
    void sample(long epochSecond, long lag) {
        samples.put(epochSecond, lag);
    }

    /** The highest lag seen from the fault on. */
    long peakAfter(Instant faultStarted) {
        return samples.entrySet().stream().filter(e -> e.getKey() >= faultStarted.getEpochSecond())
                .mapToLong(Map.Entry::getValue).max().orElse(0);
    }

    /**
     * Seconds from the heal until the lag was back at or under the highest lag seen before the fault
     * (at least {@link #FLOOR}); empty if it never was while sampled.
     */
    OptionalLong recoverySeconds(Instant faultStarted, Instant healed) {
        long before = Math.max(FLOOR, samples.entrySet().stream().filter(e -> e.getKey() < faultStarted.getEpochSecond())
                .mapToLong(Map.Entry::getValue).max().orElse(0));
        return samples.entrySet().stream()
                .filter(e -> e.getKey() >= healed.getEpochSecond() && e.getValue() <= before)
                .mapToLong(e -> e.getKey() - healed.getEpochSecond()).findFirst();
    }
}
