package io.tidemark.mart.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.event.SourceId;
import io.tidemark.mart.config.MartConfig;
import io.tidemark.mart.layout.MartLayout;
import io.tidemark.mart.repository.MartBucket;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Keeps the export root, this process's mirror, in line with the bucket (store kind s3): a day whose
 * manifest names another generation than the local copy is fetched aside and swapped in like an
 * export; a day the bucket withdrew is removed. A new replica, or a writer on an empty disk, thus
 * answers from the bucket without re-reading Cassandra. Blocking, on the export worker.
 */
@ApplicationScoped
public class MirrorSync {

    private static final Logger LOG = Logger.getLogger(MirrorSync.class);

    private final MartBucket bucket;
    private final DayExporter exporter;
    private final ObjectMapper json;
    private final MartLayout layout;

    public MirrorSync(MartBucket bucket, DayExporter exporter, ObjectMapper json, MartConfig config) {
        this.bucket = bucket;
        this.exporter = exporter;
        this.json = json;
        this.layout = new MartLayout(config.export().root());
    }

    public boolean enabled() {
        return bucket.enabled();
    }

    /** The sources the bucket has days of. */
    public List<String> sources() {
        // A key the bucket lists becomes a local directory name: only valid source ids, never "..".
        return bucket.topLevel().stream().filter(dir -> dir.startsWith("source=") && dir.endsWith("/"))
                .map(dir -> dir.substring("source=".length(), dir.length() - 1)).filter(SourceId::isValid).toList();
    }

    /** Brings every day of the source up to date with the bucket; returns how many days it replaced or removed. */
    public int sync(String source) throws IOException, SQLException {
        Map<LocalDate, MartBucket.Entry> remote = new HashMap<>();
        for (MartBucket.Entry manifest : bucket.list(MartLayout.manifestsKey(source))) {
            remote.put(MartLayout.manifestDay(manifest.key()), manifest);
        }
        List<LocalDate> changed = new ArrayList<>();
        try {
            for (Map.Entry<LocalDate, MartBucket.Entry> day : remote.entrySet()) {
                if (fetch(source, day.getKey(), day.getValue())) {
                    changed.add(day.getKey());
                }
            }
            for (LocalDate day : mirroredDays(source)) {
                if (!remote.containsKey(day)) {
                    exporter.remove(source, day);
                    changed.add(day);
                }
            }
        } finally {
            // The week rollups are local: each mirror makes them from the days it holds, as the exporter does.
            exporter.rebuildWeeks(source, changed);
        }
        return changed.size();
    }

    private boolean fetch(String source, LocalDate day, MartBucket.Entry manifestObject) throws IOException, SQLException {
        Path localManifest = layout.dayDir(source, day).resolve(MartLayout.MANIFEST);
        Optional<String> local = Files.exists(localManifest) ? Optional.of(Files.readString(localManifest)) : Optional.empty();
        // A simple PUT's ETag is the MD5 of its bytes: an unchanged day costs no GET. Servers whose ETags
        // differ only cost the GET below, which decides.
        if (local.isPresent() && md5(local.get()).equals(manifestObject.eTag())) {
            return false;
        }
        Optional<String> text = bucket.getText(manifestObject.key());
        if (text.isEmpty()) {
            return false;
        }
        DayManifest manifest = json.readValue(text.get(), DayManifest.class);
        if (local.isPresent() && json.readValue(local.get(), DayManifest.class).generation().equals(manifest.generation())) {
            return false;
        }
        Path staging = layout.stagingDir(source, day);
        Files.createDirectories(staging);
        try {
            List<Path> eventFiles = new ArrayList<>();
            for (String file : manifest.files()) {
                Path target = MartLayout.mirroredFile(staging, file);
                bucket.download(manifest.key(source, day, file), target);
                if (file.endsWith(".parquet")) {
                    eventFiles.add(target);
                }
            }
            Files.writeString(staging.resolve(MartLayout.MANIFEST), text.get());
            exporter.install(source, day, staging, eventFiles);
            LOG.debugf("source %s day %s fetched from the bucket, generation %s", source, day, manifest.generation());
            return true;
        } finally {
            DayExporter.deleteTree(staging);
        }
    }

    /** Days of the mirror that came from the bucket; days exported before the bucket was configured are not. */
    private List<LocalDate> mirroredDays(String source) {
        Path dir = layout.sourceDir(source);
        List<LocalDate> days = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return days;
        }
        try (DirectoryStream<Path> dayDirs = Files.newDirectoryStream(dir, "event_date=*")) {
            for (Path dayDir : dayDirs) {
                if (Files.exists(dayDir.resolve(MartLayout.MANIFEST))) {
                    days.add(LocalDate.parse(dayDir.getFileName().toString().substring("event_date=".length())));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return days;
    }

    private static String md5(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.UTF_8));
            return String.format(Locale.ROOT, "%032x", new BigInteger(1, digest));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
