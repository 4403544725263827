package io.tidemark.mart.export;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.tidemark.mart.layout.MartLayout;

import java.util.List;

/**
 * The commit record of one day in the bucket: which export generation is the day, and its files by
 * their names on disk. Replacing this one object is what swaps a day in the bucket.
 */
@RegisterForReflection
public record DayManifest(String generation, List<String> files) {

    /** The bucket key of one of the day's files. */
    String key(String source, java.time.LocalDate day, String file) {
        return MartLayout.dayKey(source, day) + MartLayout.objectName(file, generation);
    }
}
