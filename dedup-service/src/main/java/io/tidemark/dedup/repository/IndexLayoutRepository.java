package io.tidemark.dedup.repository;

import com.datastax.oss.driver.api.core.cql.Row;
import io.smallrye.mutiny.Uni;
import io.tidemark.event.EventIndexLayout;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Optional;

/** The recorded index layouts ({@code tidemark.index_layouts}) and the bytes stored per (source, day). */
@ApplicationScoped
public class IndexLayoutRepository {

    private static final String LATEST = "SELECT version, buckets, slice_seconds FROM tidemark.index_layouts "
            + "WHERE source = ? AND event_date = ? LIMIT 1";
    private static final String ADD = "INSERT INTO tidemark.index_layouts (source, event_date, version, buckets, "
            + "slice_seconds, decided_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS";
    private static final String STORED_BYTES = "SELECT stored_bytes FROM tidemark.day_changes "
            + "WHERE source = ? AND event_date = ?";

    private final CqlStatements cql;

    public IndexLayoutRepository(CqlStatements cql) {
        this.cql = cql;
    }

    /**
     * One recorded version of a day's layout: {@code buckets} in all over slices of {@code sliceSeconds}.
     * Version 0 is the original layout, never written.
     */
    public record Version(int version, int buckets, int sliceSeconds) {
    }

    /** The newest version recorded for the day, if any. */
    public Uni<Optional<Version>> latest(String source, LocalDate day) {
        return cql.execute(LATEST, source, day).map(result -> {
            Row row = result.one();
            if (row == null) {
                return Optional.empty();
            }
            int slice = row.isNull("slice_seconds") ? EventIndexLayout.WHOLE_DAY_SECONDS : row.getInt("slice_seconds");
            return Optional.of(new Version(row.getInt("version"), row.getInt("buckets"), slice));
        });
    }

    /**
     * Adds {@code next} unless that version exists already (a lightweight transaction: two hosts that
     * both decide to grow the day cannot both write version n). Returns whether this call added it.
     */
    public Uni<Boolean> add(String source, LocalDate day, Version next, String reason) {
        return cql.execute(ADD, source, day, next.version(), next.buckets(), next.sliceSeconds(), Instant.now(), reason)
                .map(result -> result.wasApplied());
    }

    /** Bytes of rows stored for the day so far (0 when nothing was counted). */
    public Uni<Long> storedBytes(String source, LocalDate day) {
        return cql.execute(STORED_BYTES, source, day).map(result -> {
            Row row = result.one();
            return row == null || row.isNull("stored_bytes") ? 0L : row.getLong("stored_bytes");
        });
    }
}
