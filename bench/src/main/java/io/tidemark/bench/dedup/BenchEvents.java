package io.tidemark.bench.dedup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventType;

import java.time.Instant;
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

    static List<CollectedEvent> unique(String source, String prefix, int count, Instant around) {
        Random random = new Random(prefix.hashCode());
        List<CollectedEvent> events = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            events.add(event(source, prefix + "-" + i, around.minusMillis(random.nextInt(3_600_000)), i));
        }
        return events;
    }

    static CollectedEvent event(String source, String messageId, Instant time, int n) {
        JsonNode properties = JSON.valueToTree(Map.of("sku", "sku-" + (n % 997), "price", (n % 500) / 10.0,
                "currency", "EUR", "category", "shoes"));
        return new CollectedEvent(CollectedEvent.FORMAT_VERSION, source, messageId, EventType.TRACK, "Product Viewed",
                null, "user-" + (n % 5000), null, null, null, properties, null, CONTEXT, null, time, time, time,
                Instant.now(), Set.of());
    }

    /**
     * {@code records} records of which {@code duplicateShare} are copies of earlier ones (a client or
     * producer retry, shortly after the original), in send order.
     */
    static List<CollectedEvent> withCopies(String source, String prefix, int records, double duplicateShare,
            Instant around) {
        int uniqueCount = (int) Math.round(records * (1 - duplicateShare));
        List<CollectedEvent> originals = unique(source, prefix, uniqueCount, around);
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
