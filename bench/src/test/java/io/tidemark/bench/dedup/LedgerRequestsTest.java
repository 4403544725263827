package io.tidemark.bench.dedup;

import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventIndexLayout;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The floor must make the requests dedup makes, no fewer and no cheaper: every message in exactly one
 * request of each kind, each request within dedup's limits, and as few partitions per batch as dedup's
 * alignment of claim buckets with raw partitions gives.
 */
class LedgerRequestsTest {

    private static final List<CollectedEvent> EVENTS = BenchEvents.unique("bench-floor-test", "t", 20_000,
            Instant.parse("2026-12-04T00:30:00Z"));

    @Test
    void batchesHoldOneRawPartitionEachInItsOrder() {
        List<List<CollectedEvent>> batches = LedgerRequests.batches(EVENTS, BenchTopics.PARTITIONS, 500);
        assertEquals(ids(EVENTS), ids(batches.stream().flatMap(List::stream).toList()));
        assertEquals(EVENTS.size(), batches.stream().mapToInt(List::size).sum());
        for (List<CollectedEvent> batch : batches) {
            assertTrue(batch.size() <= 500, "batch of " + batch.size());
            assertEquals(1, batch.stream().map(e -> LedgerRequests.keyHash(e) % BenchTopics.PARTITIONS).distinct().count());
        }
        // A partition's records keep their order across its batches.
        List<CollectedEvent> firstPartition = batches.stream().filter(b -> partition(b.get(0)) == 0)
                .flatMap(List::stream).toList();
        assertEquals(EVENTS.stream().filter(e -> partition(e) == 0).toList(), firstPartition);
    }

    @Test
    void lookupsAskForEveryMessageOnceInItsClaimPartition() {
        for (List<CollectedEvent> batch : LedgerRequests.batches(EVENTS, BenchTopics.PARTITIONS, 500)) {
            List<LedgerRequests.Lookup> lookups = LedgerRequests.lookups(batch, LedgerRequests.Layout.ORIGINAL);
            List<String> asked = lookups.stream().flatMap(l -> l.messageIds().stream()).toList();
            assertEquals(batch.size(), asked.size());
            assertEquals(ids(batch), new HashSet<>(asked));
            // 60 claim buckets over 6 raw partitions: a batch's messages fall in 10 claim partitions.
            assertTrue(lookups.stream().map(LedgerRequests.Lookup::bucket).distinct().count() <= 10);
            for (LedgerRequests.Lookup lookup : lookups) {
                assertTrue(lookup.messageIds().size() <= LedgerRequests.PER_REQUEST);
                batch.stream().filter(e -> lookup.messageIds().contains(e.messageId())).forEach(e ->
                        assertEquals(LedgerRequests.keyHash(e) % LedgerRequests.CLAIM_BUCKETS, lookup.bucket()));
            }
        }
    }

    @Test
    void claimsAreWrittenOnceWithinCassandrasBatchLimits() {
        // Full batches put a claim partition's claims over 4 KiB, so each goes alone; small ones (a quiet
        // moment) share requests.
        checkClaims(500);
        checkClaims(40);
    }

    private static void checkClaims(int batchSize) {
        int shared = 0;
        for (List<CollectedEvent> batch : LedgerRequests.batches(EVENTS, BenchTopics.PARTITIONS, batchSize)) {
            List<List<LedgerRequests.Claim>> requests = LedgerRequests.claims(batch, LedgerRequests.Layout.ORIGINAL);
            assertEquals(ids(batch), requests.stream().flatMap(List::stream).map(c -> c.event().messageId())
                    .collect(Collectors.toSet()));
            assertEquals(batch.size(), requests.stream().mapToInt(List::size).sum());
            for (List<LedgerRequests.Claim> request : requests) {
                long partitions = request.stream().map(LedgerRequests.Claim::bucket).distinct().count();
                assertTrue(partitions <= LedgerRequests.PARTITIONS_PER_REQUEST, partitions + " partitions");
                assertTrue(request.size() <= LedgerRequests.PER_REQUEST || partitions == 1, request.size() + " claims");
                if (partitions > 1) {
                    shared++;
                    long bytes = request.stream().mapToLong(c -> c.source().length()
                            + 2L * c.event().messageId().length() + 110).sum();
                    assertTrue(bytes <= LedgerRequests.BYTES_PER_REQUEST, bytes + " bytes over partitions");
                }
            }
            assertTrue(requests.size() <= Math.max(10, batch.size() / 4), requests.size() + " requests for " + batch.size());
        }
        assertEquals(batchSize < 100, shared > 0, shared + " requests over several partitions");
    }

    @Test
    void rowsGoOneIndexPartitionARequestAtMostAHundred() {
        int requests = 0;
        for (List<CollectedEvent> batch : LedgerRequests.batches(EVENTS, BenchTopics.PARTITIONS, 500)) {
            List<List<LedgerRequests.Placed>> rows = LedgerRequests.rows(batch, LedgerRequests.Layout.ORIGINAL);
            assertEquals(ids(batch), rows.stream().flatMap(List::stream).map(r -> r.event().messageId())
                    .collect(Collectors.toSet()));
            assertEquals(batch.size(), rows.stream().mapToInt(List::size).sum());
            for (List<LedgerRequests.Placed> request : rows) {
                assertTrue(request.size() <= LedgerRequests.PER_REQUEST);
                assertEquals(1, request.stream().map(r -> EventIndexLayout.eventDay(r.event().timestamp()) + "/" + r.bucket())
                        .distinct().count());
                request.forEach(r -> assertEquals(LedgerRequests.keyHash(r.event()) % EventIndexLayout.ORIGINAL_BUCKETS,
                        r.bucket()));
            }
            requests += rows.size();
        }
        // Placed by the key's hash, a raw partition's messages fill 4 of the 8 buckets of a day (the events
        // span two days here): a request holds tens of rows, not a handful.
        assertTrue(EVENTS.size() / requests >= 40, EVENTS.size() / requests + " rows a request");
    }

    @Test
    void aBusySourcesMessagesAreLookedUpUnderEveryClaimLayoutAndWrittenIntoMinuteSlices() {
        Instant from = Instant.parse("2026-12-04T10:00:00Z");
        List<CollectedEvent> stream = BenchEvents.asSent("bench-floor-busy", "b", 20_000, from);
        LocalDate today = LocalDate.parse("2026-12-04");
        LedgerRequests.Layout grown = new LedgerRequests.Layout(List.of(240, 120, 60),
                Map.of(today, new LedgerRequests.Shape(60, 23_040)));
        for (List<CollectedEvent> batch : LedgerRequests.batches(stream, BenchTopics.PARTITIONS, 500)) {
            List<LedgerRequests.Lookup> lookups = LedgerRequests.lookups(batch, grown);
            for (CollectedEvent e : batch) {
                // In its bucket under each layout, and in no other partition.
                // The same partition when a smaller count's bucket is the larger's: asked once.
                Set<Short> expected = new HashSet<>(List.of((short) (LedgerRequests.keyHash(e) % 240),
                        (short) (LedgerRequests.keyHash(e) % 120), (short) (LedgerRequests.keyHash(e) % 60)));
                Set<Short> asked = lookups.stream().filter(l -> l.messageIds().contains(e.messageId()))
                        .map(LedgerRequests.Lookup::bucket).collect(Collectors.toSet());
                assertEquals(expected, asked, e.messageId());
            }
            // A raw partition's share of 240 buckets is 40 partitions, four times the original layout's ten; the
            // older layouts' buckets are among them (60 and 120 divide 240), asked for more messages each.
            assertEquals(40, lookups.stream().map(LedgerRequests.Lookup::bucket).distinct().count());
            Map<String, Short> rowBuckets = new HashMap<>();
            for (List<LedgerRequests.Claim> request : LedgerRequests.claims(batch, grown)) {
                for (LedgerRequests.Claim c : request) {
                    assertEquals(LedgerRequests.keyHash(c.event()) % 240, c.bucket());
                    rowBuckets.put(c.event().messageId(), c.rowBucket());
                }
            }
            for (List<LedgerRequests.Placed> request : LedgerRequests.rows(batch, grown)) {
                for (LedgerRequests.Placed r : request) {
                    CollectedEvent e = r.event();
                    short expected = EventIndexLayout.eventDay(e.timestamp()).equals(today)
                            ? (short) (e.timestamp().atZone(ZoneOffset.UTC).toLocalTime().toSecondOfDay() / 60 * 16
                                    + LedgerRequests.keyHash(e) % 16)
                            : (short) (LedgerRequests.keyHash(e) % EventIndexLayout.ORIGINAL_BUCKETS);
                    assertEquals(expected, r.bucket(), e.messageId());
                    // The claim names the bucket its row is written to.
                    assertEquals(rowBuckets.get(e.messageId()), r.bucket());
                }
            }
        }
    }

    private static int partition(CollectedEvent e) {
        return LedgerRequests.keyHash(e) % BenchTopics.PARTITIONS;
    }

    private static Set<String> ids(List<CollectedEvent> events) {
        return events.stream().map(CollectedEvent::messageId).collect(Collectors.toCollection(HashSet::new));
    }

    @Test
    void aLookupReadsAnOlderClaimLayoutOnlyWhileTheOneAfterItWasDecidedWithinTheWindow() {
        Instant now = Instant.parse("2026-12-05T20:00:00Z");
        Instant minutesAgo = now.minusSeconds(300);
        Instant monthAgo = now.minus(LedgerRequests.WINDOW).minus(LedgerRequests.STRAGGLERS).minusSeconds(1);
        // Never grown: the original sixty.
        assertEquals(List.of(60), LedgerRequests.lookedUp(List.of(), now));
        // Grown twice minutes ago (the bench's warm-up): every layout may hold live claims.
        assertEquals(List.of(240, 120, 60), LedgerRequests.lookedUp(List.of(
                new LedgerRequests.ClaimLayout(240, minutesAgo), new LedgerRequests.ClaimLayout(120, minutesAgo)), now));
        // Grown to 240 minutes ago, to 120 a month ago: the original's claims have expired, 120's have not.
        assertEquals(List.of(240, 120), LedgerRequests.lookedUp(List.of(
                new LedgerRequests.ClaimLayout(240, minutesAgo), new LedgerRequests.ClaimLayout(120, monthAgo)), now));
        // Both decisions more than a window ago (MonthLater): the current layout alone.
        assertEquals(List.of(240), LedgerRequests.lookedUp(List.of(
                new LedgerRequests.ClaimLayout(240, monthAgo), new LedgerRequests.ClaimLayout(120, monthAgo)), now));
    }
}
