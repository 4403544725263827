package io.tidemark.dedup.repository;

import com.datastax.oss.driver.api.core.cql.Row;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/**
 * The recorded claim layouts of a source ({@code tidemark.claim_layouts}) and the claims it made per
 * day ({@code tidemark.claim_counts}).
 */
@ApplicationScoped
public class ClaimLayoutRepository {

    private static final String VERSIONS = "SELECT version, buckets, decided_at FROM tidemark.claim_layouts WHERE source = ?";
    private static final String ADD = "INSERT INTO tidemark.claim_layouts (source, version, buckets, decided_at, reason) "
            + "VALUES (?, ?, ?, ?, ?) IF NOT EXISTS";
    private static final String COUNTS = "SELECT claimed_on, claims FROM tidemark.claim_counts "
            + "WHERE source = ? AND claimed_on >= ?";
    private static final String COUNT = "UPDATE tidemark.claim_counts SET claims = claims + ? "
            + "WHERE source = ? AND claimed_on = ?";

    private final CqlStatements cql;

    public ClaimLayoutRepository(CqlStatements cql) {
        this.cql = cql;
    }

    /** One recorded claim layout: from {@code decidedAt} on, new claims go to {@code buckets} partitions. */
    public record Version(int version, int buckets, Instant decidedAt) {
    }

    /** Claims a source made on one UTC day. */
    public record DayClaims(LocalDate day, long claims) {
    }

    /** Every recorded version of the source, newest first (empty: the original layout only). */
    public Uni<List<Version>> versions(String source) {
        return cql.execute(VERSIONS, source).map(result -> {
            List<Version> versions = new ArrayList<>();
            for (Row row : result.currentPage()) {
                versions.add(new Version(row.getInt("version"), row.getInt("buckets"), row.getInstant("decided_at")));
            }
            return versions;
        });
    }

    /**
     * Adds {@code next} unless that version exists already (a lightweight transaction: two hosts that
     * both decide to grow cannot both write version n). Returns whether this call added it.
     */
    public Uni<Boolean> add(String source, Version next, String reason) {
        return cql.execute(ADD, source, next.version(), next.buckets(), next.decidedAt(), reason)
                .map(result -> result.wasApplied());
    }

    /** The claims counted per day from {@code since} on (one partition: a source's days). */
    public Uni<List<DayClaims>> counts(String source, LocalDate since) {
        return cql.execute(COUNTS, source, since).map(result -> {
            List<DayClaims> days = new ArrayList<>();
            for (Row row : result.currentPage()) {
                days.add(new DayClaims(row.getLocalDate("claimed_on"), row.isNull("claims") ? 0 : row.getLong("claims")));
            }
            return days;
        });
    }

    /** Counts {@code claims} new claims of the source made on {@code day}. */
    public Uni<Void> count(String source, LocalDate day, long claims) {
        return cql.execute(COUNT, claims, source, day).replaceWithVoid();
    }
}
