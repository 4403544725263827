package io.tidemark.dedup.service;

import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.tidemark.dedup.repository.MessageLedger;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The claim ledger sized by volume against the real Cassandra: with a ledger partition target of
 * 4 KB a few hundred claims make a source outgrow its 60 claim buckets several times over. Every
 * message must be claimed once, new claims must go to the grown buckets, and copies of messages
 * claimed under any earlier layout must still be found, days later and with another event time.
 */
@QuarkusTest
@TestProfile(ClaimLayoutGrowthTest.SmallClaimPartitions.class)
class ClaimLayoutGrowthTest {

    private static final int EVENTS = 600;
    private static final int BATCH = 50;

    public static class SmallClaimPartitions implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // No cache of stored keys: every copy meets the ledger, as on a host restarted after a crash.
            return Map.of("tidemark.dedup.claims.partition-target", "4096",
                    "tidemark.dedup.claims.layout-refresh", "PT0S",
                    "tidemark.dedup.cache.expire-after-write", "PT0S");
        }
    }

    @Inject
    EventDeduplicator deduplicator;

    @Inject
    QuarkusCqlSession session;

    private final String source = "claims-test-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void aBusySourceGetsMoreClaimBucketsAndCopiesOfClaimsUnderEveryEarlierLayoutAreStillFound() {
        Instant time = Instant.now().minus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.MILLIS);
        List<Delivery> deliveries = new ArrayList<>();
        for (int i = 0; i < EVENTS; i++) {
            CollectedEvent event = event(UUID.randomUUID().toString(), time.plusMillis(i));
            deliveries.add(new Delivery(event, EventCodec.encode(event), 4, i));
        }
        for (int from = 0; from < EVENTS; from += BATCH) {
            List<StoreOutcome> outcomes = outcomes(deliveries.subList(from, from + BATCH));
            assertEquals(BATCH, outcomes.stream().filter(o -> o == StoreOutcome.STORED).count(), "batch at " + from);
        }

        List<Row> versions = session.execute(SimpleStatement.newInstance(
                "SELECT version, buckets FROM tidemark.claim_layouts WHERE source = ?", source)).all();
        assertTrue(versions.size() >= 3, "the source grew more than twice: " + versions.size() + " version(s)");
        int previous = Integer.MAX_VALUE;
        for (Row version : versions) {
            // Newest first, each with more buckets than the one before, 60 times a power of two.
            int buckets = version.getInt("buckets");
            assertTrue(buckets < previous && buckets % MessageLedger.BUCKETS == 0
                    && Integer.bitCount(buckets / MessageLedger.BUCKETS) == 1, "buckets of a version: " + buckets);
            previous = buckets;
        }
        assertEquals(versions.size(), versions.get(0).getInt("version"), "versions are numbered from 1 without gaps");
        int highest = versions.get(0).getInt("buckets");

        Map<String, Integer> claimBucket = claims(highest);
        assertEquals(EVENTS, claimBucket.size(), "every message is claimed, each once");
        // The first batch was claimed under the original 60, the last under a grown layout.
        assertTrue(deliveries.subList(0, BATCH).stream().allMatch(d -> claimBucket.get(d.event().messageId())
                == MessageLedger.bucket(source, d.event().messageId(), MessageLedger.BUCKETS)), "first batch in the 60");
        long beyond = deliveries.subList(EVENTS - BATCH, EVENTS).stream()
                .filter(d -> claimBucket.get(d.event().messageId()) >= MessageLedger.BUCKETS).count();
        assertTrue(beyond > BATCH / 2, "most of the last batch beyond bucket 59: " + beyond);

        long counted = claimsCounted();
        assertTrue(counted >= EVENTS, "every new claim counted (a retried increment may count a batch twice): " + counted);

        // A crash before the first batch's commit: its records come again, claimed under the original layout.
        List<StoreOutcome> redone = outcomes(deliveries.subList(0, BATCH));
        assertTrue(redone.stream().allMatch(o -> o == StoreOutcome.COMPLETED), "redelivered owners redo: " + redone);
        // Copies of a message from each batch, from a retry whose event time came out two days later.
        List<Delivery> copies = new ArrayList<>();
        for (int i = 0; i < EVENTS; i += BATCH) {
            CollectedEvent copy = event(deliveries.get(i).event().messageId(), time.plus(2, ChronoUnit.DAYS));
            copies.add(new Delivery(copy, EventCodec.encode(copy), 4, EVENTS + i));
        }
        List<StoreOutcome> copied = outcomes(copies);
        assertTrue(copied.stream().allMatch(o -> o == StoreOutcome.DUPLICATE), "copies: " + copied);

        assertEquals(EVENTS, claims(highest).size(), "no claim was made twice");
        assertEquals(counted, claimsCounted(), "redeliveries and copies make no claim to count");
    }

    private long claimsCounted() {
        return session.execute(SimpleStatement.newInstance("SELECT claims FROM tidemark.claim_counts WHERE source = ?",
                source)).all().stream().mapToLong(r -> r.getLong("claims")).sum();
    }

    private List<StoreOutcome> outcomes(List<Delivery> deliveries) {
        return TestEvents.outcomes(deduplicator, deliveries);
    }

    /** The bucket of each claim of the source, failing on a message claimed in two buckets. */
    private Map<String, Integer> claims(int buckets) {
        Map<String, Integer> where = new HashMap<>();
        for (int bucket = 0; bucket < buckets; bucket++) {
            for (Row row : session.execute(SimpleStatement.newInstance("SELECT message_id FROM tidemark.message_claims "
                    + "WHERE source = ? AND bucket = ?", source, (short) bucket))) {
                Integer before = where.put(row.getString("message_id"), bucket);
                assertEquals(null, before, "claimed twice: " + row.getString("message_id"));
            }
        }
        return where;
    }

    private CollectedEvent event(String messageId, Instant time) {
        return TestEvents.click(source, messageId, time);
    }
}
