package io.tidemark.dedup.repository;

import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import io.smallrye.mutiny.Uni;
import io.tidemark.dedup.config.DedupConfig;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventKey;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The dedup ledger ({@code tidemark.message_claims}): which (source, messageId) pairs were seen, at
 * which event time first, and whether everything that follows a first store (row, changed day,
 * clean topic) was done.
 *
 * <p>Claims are lightweight transactions, so two consumers racing on the same message (a rebalance,
 * a zombie instance) agree on one winner. A Paxos round per message would cap throughput, so claims
 * live in {@link #BUCKETS} partitions per source and a group of one partition is claimed by
 * one conditional batch: one Paxos round for many messages, with the same all-or-nothing guarantee.
 */
@ApplicationScoped
public class MessageLedger {

    /**
     * Claim partitions per source. Part of the stored layout: changing it hides existing claims for
     * the rest of their window (copies would be stored again), so it changes only with a new table.
     * A multiple of the raw topic's partition count, so each claim partition is fed by exactly one
     * Kafka partition (see {@link #bucket(String)}) and consumers never contend on a Paxos round.
     */
    public static final int BUCKETS = 60;

    private static final String CLAIM = "INSERT INTO tidemark.message_claims (source, bucket, message_id, event_time, "
            + "first_seen) VALUES (?, ?, ?, ?, ?) IF NOT EXISTS USING TTL ?";
    // A plain write: only the claim's winner sets it, after its own side effects, so there is no race;
    // it touches no column the transaction writes.
    private static final String COMPLETE = "UPDATE tidemark.message_claims USING TTL ? SET completed = true "
            + "WHERE source = ? AND bucket = ? AND message_id = ?";

    private final CqlStatements cql;
    private final Duration window;
    private final int claimBatchSize;

    public MessageLedger(CqlStatements cql, DedupConfig config) {
        this.cql = cql;
        this.window = config.window();
        this.claimBatchSize = config.claimBatchSize();
    }

    /**
     * The outcome of claiming a message: whether this copy was the first, the event time to store it
     * at, when it was first claimed, and whether the first store finished all its steps.
     */
    public record Claim(boolean first, Instant eventTime, Instant firstSeen, boolean completed) {
    }

    /**
     * The claim partition of a message: Kafka's own key hash (murmur2 of {@code source:messageId},
     * what the default partitioner uses), modulo {@link #BUCKETS}. Stable whatever the topic's
     * partition count; aligned with the Kafka partition whenever that count divides {@link #BUCKETS}.
     */
    public static short bucket(String source, String messageId) {
        byte[] key = EventKey.of(source, messageId).getBytes(StandardCharsets.UTF_8);
        return (short) (Utils.toPositive(Utils.murmur2(key)) % BUCKETS);
    }

    /**
     * Claims messages of one source and one {@link #bucket(String)}, distinct by messageId, and
     * returns each one's claim by messageId.
     */
    public Uni<Map<String, Claim>> claimAll(String source, short bucket, List<CollectedEvent> events) {
        // Chunks of one partition one after the other: concurrent Paxos rounds on it would contend.
        Uni<Map<String, Claim>> claims = Uni.createFrom().item(new HashMap<>());
        for (int from = 0; from < events.size(); from += claimBatchSize) {
            List<CollectedEvent> chunk = events.subList(from, Math.min(events.size(), from + claimBatchSize));
            claims = claims.flatMap(so -> claimRound(source, bucket, chunk, so));
        }
        return claims;
    }

    private Uni<Map<String, Claim>> claimRound(String source, short bucket, List<CollectedEvent> events,
            Map<String, Claim> claims) {
        if (events.isEmpty()) {
            return Uni.createFrom().item(claims);
        }
        Instant now = Instant.now();
        int ttl = ttlSeconds(window);
        List<Object[]> rows = new ArrayList<>(events.size());
        events.forEach(e -> rows.add(new Object[] {source, bucket, e.messageId(), e.timestamp(), now, ttl}));
        return cql.executeBatch(CLAIM, rows).flatMap(result -> {
            // wasApplied() reads the first row, so it must be asked before the rows are consumed.
            if (result.wasApplied()) {
                events.forEach(e -> claims.put(e.messageId(), new Claim(true, e.timestamp(), now, false)));
                return Uni.createFrom().item(claims);
            }
            // Nothing was applied: the rows returned are the claims that exist. Claim the rest again.
            Map<String, Claim> existing = existingClaims(result);
            if (existing.isEmpty()) {
                return Uni.createFrom().failure(new IllegalStateException(
                        "claim batch not applied and no existing claim returned"));
            }
            for (CollectedEvent e : events) {
                Claim claim = existing.get(e.messageId());
                if (claim != null && claim.eventTime() == null) {
                    // Only the completed flag outlived the claim (it expires a moment later): finish this
                    // copy at its own time; the row write is an idempotent upsert.
                    existing.put(e.messageId(), new Claim(false, e.timestamp(), now, false));
                }
            }
            claims.putAll(existing);
            List<CollectedEvent> rest = events.stream().filter(e -> !existing.containsKey(e.messageId())).toList();
            return claimRound(source, bucket, rest, claims);
        });
    }

    private static Map<String, Claim> existingClaims(AsyncResultSet result) {
        Map<String, Claim> existing = new HashMap<>();
        for (Row row : result.currentPage()) {
            if (row.isNull("message_id")) {
                continue;
            }
            Instant firstTime = row.getInstant("event_time");
            Instant firstSeen = row.getInstant("first_seen");
            if (firstTime == null || firstSeen == null) {
                existing.put(row.getString("message_id"), new Claim(false, null, null, false));
                continue;
            }
            existing.put(row.getString("message_id"),
                    new Claim(false, firstTime, firstSeen, !row.isNull("completed") && row.getBoolean("completed")));
        }
        return existing;
    }

    /** A message whose first store is done, with when it was first claimed. */
    public record Completion(String messageId, Instant firstSeen) {
    }

    /** Notes that first stores are done, for messages of one source and bucket; expires with the claims. */
    public Uni<Void> completeAll(String source, short bucket, List<Completion> done) {
        Instant now = Instant.now();
        Uni<Void> completed = Uni.createFrom().voidItem();
        for (int from = 0; from < done.size(); from += claimBatchSize) {
            List<Object[]> rows = new ArrayList<>();
            done.subList(from, Math.min(done.size(), from + claimBatchSize)).forEach(c -> rows.add(new Object[] {
                    ttlSeconds(window.minus(Duration.between(c.firstSeen(), now))), source, bucket, c.messageId()}));
            completed = completed.flatMap(so -> cql.executeBatch(COMPLETE, rows).replaceWithVoid());
        }
        return completed;
    }

    private static int ttlSeconds(Duration ttl) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, ttl.toSeconds()));
    }
}
