package io.tidemark.bench.dedup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventType;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/** Events shaped like a web SDK's track calls (about 400 bytes on the wire), for one source. */
final class BenchEvents {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNode CONTEXT = JSON.valueToTree(Map.of(
            "ip", "203.0.113.7", "locale", "en-GB",
            "userAgent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
            "page", Map.of("path", "/catalog/shoes", "title", "Shoes")));

    private BenchEvents() {
    }

    /**
     * Events whose event times are spread evenly over the hour before {@code around}, whatever order they
     * are sent in: a day's worth scaled down in time for the partition sizes (bench/run scale), and the
     * worst case for a day cut into slices, where each batch of them touches every slice of the hour.
     */
    static List<CollectedEvent> unique(String source, String prefix, int count, Instant around) {
        Random random = new Random(prefix.hashCode());
        List<CollectedEvent> events = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            events.add(event(source, prefix + "-" + i, around.minusMillis(random.nextInt(3_600_000)), i));
        }
        return events;
    }

    /**
     * Events in the order a busy source's clients send them, from {@code start} on: event times follow
     * the sending at {@link #SENT_PER_SECOND}, most of them up to 30 seconds before they are sent (a web
     * page sends at once, a mobile SDK flushes its queue every 30 seconds), {@link #LATE_HOUR_SHARE} up to
     * an hour before (an app that flushes when it comes back to the foreground) and {@link #LATE_DAYS_SHARE}
     * up to three days before (a device that was offline). What dedup meets in production: the events of
     * one poll share a few minutes of event time, with a tail of late ones.
     */
    static List<CollectedEvent> asSent(String source, String prefix, int count, Instant start) {
        Random random = new Random(prefix.hashCode());
        List<CollectedEvent> events = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long sentAtMicros = i * 1_000_000L / SENT_PER_SECOND;
            double kind = random.nextDouble();
            long beforeMillis = kind < LATE_DAYS_SHARE ? (long) (random.nextDouble() * 3 * 86_400_000L)
                    : kind < LATE_DAYS_SHARE + LATE_HOUR_SHARE ? random.nextInt(3_600_000)
                    : random.nextInt(30_000);
            Instant time = start.plus(sentAtMicros, ChronoUnit.MICROS).minusMillis(beforeMillis);
            events.add(event(source, prefix + "-" + i, time, i));
        }
        return events;
    }

    /**
     * Where the {@code range}-th of consecutive ranges of {@code count} events {@link #asSent} from
     * {@code first} on starts, so that one source's ranges make one stream.
     */
    static Instant sendingFrom(Instant first, int range, int count) {
        return first.plus((long) range * count * 1_000_000L / SENT_PER_SECOND, ChronoUnit.MICROS);
    }

    /** The sending rate {@link #asSent} spaces event times at: about what one dedup host drains here, two billion a day. */
    static final int SENT_PER_SECOND = 25_000;
    /** The share of {@link #asSent}'s events sent up to an hour after they happened. */
    static final double LATE_HOUR_SHARE = 0.05;
    /** The share of {@link #asSent}'s events sent up to three days after they happened. */
    static final double LATE_DAYS_SHARE = 0.01;

    static CollectedEvent event(String source, String messageId, Instant time, int n) {
        JsonNode properties = JSON.valueToTree(Map.of("sku", "sku-" + (n % 997), "price", (n % 500) / 10.0,
                "currency", "EUR", "category", "shoes"));
        return new CollectedEvent(CollectedEvent.FORMAT_VERSION, source, messageId, EventType.TRACK, "Product Viewed",
                null, "user-" + (n % 5000), null, null, null, properties, null, CONTEXT, null, time, time, time,
                Instant.now(), Set.of());
    }

    /**
     * {@code records} records of which {@code duplicateShare} are copies of earlier ones (a client or
     * producer retry, shortly after the original), in send order, the originals {@link #asSent}.
     */
    static List<CollectedEvent> withCopies(String source, String prefix, int records, double duplicateShare,
            Instant start) {
        int uniqueCount = (int) Math.round(records * (1 - duplicateShare));
        List<CollectedEvent> originals = asSent(source, prefix, uniqueCount, start);
        Random random = new Random(prefix.hashCode() * 31L);
        List<CollectedEvent> stream = new ArrayList<>(records);
        int next = 0;
        for (int i = 0; i < records; i++) {
            boolean copy = next > 0 && (next >= uniqueCount || random.nextDouble() < duplicateShare);
            if (copy) {
                int earlier = Math.max(0, next - 1 - random.nextInt(Math.min(next, 2000)));
                stream.add(originals.get(earlier));
            } else {
                stream.add(originals.get(next++));
            }
        }
        return stream;
    }
}
