package io.tidemark.mart.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.mart.layout.MartLayout;
import io.tidemark.mart.repository.MartBucket;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * Puts an exported day into the bucket (store kind s3): its files as objects of a new generation,
 * then the day's manifest naming that generation, then deletes every other object of the day. Until
 * the manifest is replaced, readers that follow it get the old day whole; after, the new day whole.
 */
@ApplicationScoped
public class DayPublisher {

    /** Commits that find the manifest replaced under them before one gives up; each such writer holds a lease. */
    private static final int COMMIT_ATTEMPTS = 3;

    private final MartBucket bucket;
    private final ObjectMapper json;

    public DayPublisher(MartBucket bucket, ObjectMapper json) {
        this.bucket = bucket;
        this.json = json;
    }

    public boolean enabled() {
        return bucket.enabled();
    }

    /**
     * Uploads the staged {@code files} and commits them under the lease taken at {@code leaseTakenAt} (epoch
     * milliseconds); also writes the manifest into the staging directory, so the local day says which generation it
     * is. Blocking, on the export worker. Once {@code halted}, gives up before the next object with a
     * {@link CancellationException}: a day of issue #20's size is hundreds of objects, minutes of uploads past the
     * stop's grace, and the objects put so far are of a generation no manifest names, which the day's next commit
     * deletes.
     *
     * @throws DaySuperseded when the day's manifest in the bucket was written under a lease taken later: a replica
     *         that took the source after this one's lease ran out (a pause) exported the day from newer rows
     */
    void publish(String source, LocalDate day, Path staging, List<String> files, BooleanSupplier halted,
            long leaseTakenAt) throws IOException {
        DayManifest manifest = new DayManifest(UUID.randomUUID().toString().replace("-", ""), files, leaseTakenAt);
        for (String file : files) {
            if (halted.getAsBoolean()) {
                throw new CancellationException("the upload of source " + source + " day " + day
                        + " was halted by the stop before its manifest; the day stays as it was committed");
            }
            bucket.put(manifest.key(source, day, file), staging.resolve(file));
        }
        String text = json.writeValueAsString(manifest);
        try {
            commit(source, day, text, leaseTakenAt);
        } catch (DaySuperseded e) {
            // Put after the newer commit, so its deletion of other generations missed them.
            for (String file : files) {
                try {
                    bucket.delete(manifest.key(source, day, file));
                } catch (RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            throw e;
        }
        Files.writeString(staging.resolve(MartLayout.MANIFEST), text);
        // After the commit: objects of older generations, and of uploads that died before theirs.
        Set<String> current = files.stream().map(file -> manifest.key(source, day, file)).collect(Collectors.toSet());
        for (MartBucket.Entry object : bucket.list(MartLayout.dayKey(source, day))) {
            if (!current.contains(object.key())) {
                bucket.delete(object.key());
            }
        }
    }

    /**
     * Replaces the day's manifest by {@code text} unless the one in place was written under a later lease. The check
     * and the write are one: the write is conditional on the manifest being the one checked, and is checked again if
     * another writer came in between.
     */
    private void commit(String source, LocalDate day, String text, long leaseTakenAt) throws IOException {
        String key = MartLayout.manifestKey(source, day);
        for (int attempt = 1; attempt <= COMMIT_ATTEMPTS; attempt++) {
            Optional<MartBucket.Versioned> current = bucket.getVersioned(key);
            if (current.isPresent()) {
                DayManifest committed = json.readValue(current.get().text(), DayManifest.class);
                if (!committed.replaceableUnder(leaseTakenAt)) {
                    throw new DaySuperseded(source, day, committed.lease(), leaseTakenAt);
                }
            }
            if (bucket.putTextIfUnchanged(key, text, current)) {
                return;
            }
        }
        throw new IllegalStateException("the manifest of source " + source + " day " + day + " changed under each of "
                + COMMIT_ATTEMPTS + " commits; left for the next cycle");
    }

    /** A day that has no events any more: its manifest first, so no reader follows it to deleted objects. */
    void withdraw(String source, LocalDate day) {
        bucket.delete(MartLayout.manifestKey(source, day));
        for (MartBucket.Entry object : bucket.list(MartLayout.dayKey(source, day))) {
            bucket.delete(object.key());
        }
    }
}
