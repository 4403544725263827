package io.tidemark.mart.export;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.tidemark.mart.layout.MartLayout;

import java.util.List;

/**
 * The commit record of one day in the bucket: which export generation is the day, and its files by
 * their names on disk. Replacing this one object is what swaps a day in the bucket.
 *
 * <p>{@code lease} is the fencing token of the export that wrote it: when its replica took the source's
 * export lease, in epoch milliseconds (null in manifests written before there was one). A replica whose
 * lease was taken later is a replica that read the day later, so a manifest is replaced only by an export
 * under a lease taken at the same time or after ({@link DayPublisher}).
 */
@RegisterForReflection
public record DayManifest(String generation, List<String> files, Long lease) {

    /** The bucket key of one of the day's files. */
    String key(String source, java.time.LocalDate day, String file) {
        return MartLayout.dayKey(source, day) + MartLayout.objectName(file, generation);
    }

    /** Whether an export under the lease taken at {@code leaseTakenAt} may replace this manifest. */
    boolean replaceableUnder(long leaseTakenAt) {
        return lease == null || lease <= leaseTakenAt;
    }
}
