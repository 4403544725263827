package io.tidemark.local;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * run/owner-&lt;pid&gt;.lease: the servers one `ensure` started for one owner process (a Maven build),
 * and the reaper that stops them when the owner exits. Servers that `ensure` reused are not in it.
 */
record OwnerLease(long ownerPid, long ownerStartMillis, List<String> parts, long reaperPid) {

    private static final String PREFIX = "owner-";
    private static final String SUFFIX = ".lease";

    OwnerLease withPart(String part) {
        if (parts.contains(part)) {
            // A part stopped by `stop` and started again by `ensure` is still one part of the lease.
            return this;
        }
        List<String> more = new ArrayList<>(parts);
        more.add(part);
        return new OwnerLease(ownerPid, ownerStartMillis, List.copyOf(more), reaperPid);
    }

    OwnerLease withReaper(long pid) {
        return new OwnerLease(ownerPid, ownerStartMillis, parts, pid);
    }

    static Path file(StackLayout layout, long ownerPid) {
        return layout.runDir().resolve(PREFIX + ownerPid + SUFFIX);
    }

    void write(StackLayout layout) {
        Properties p = new Properties();
        p.setProperty("owner.pid", Long.toString(ownerPid));
        p.setProperty("owner.start.millis", Long.toString(ownerStartMillis));
        p.setProperty("parts", String.join(",", parts));
        p.setProperty("reaper.pid", Long.toString(reaperPid));
        Path file = file(layout, ownerPid);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.getParent());
            try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                p.store(out, "Servers started by `stack ensure` for this owner; stopped when it exits or on `stack release`");
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Optional<OwnerLease> read(StackLayout layout, long ownerPid) {
        Path file = file(layout, ownerPid);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
            String parts = p.getProperty("parts", "").strip();
            return Optional.of(new OwnerLease(
                    Long.parseLong(p.getProperty("owner.pid")),
                    Long.parseLong(p.getProperty("owner.start.millis")),
                    parts.isEmpty() ? List.of() : List.of(parts.split(",")),
                    Long.parseLong(p.getProperty("reaper.pid", "0"))));
        } catch (IOException | RuntimeException e) {
            throw new StackException("unreadable lease " + file + " (" + e.getMessage() + "); delete it and run `stack down`");
        }
    }

    static List<OwnerLease> all(StackLayout layout) {
        if (!Files.isDirectory(layout.runDir())) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(layout.runDir())) {
            return files.map(f -> f.getFileName().toString())
                    .filter(name -> name.startsWith(PREFIX) && name.endsWith(SUFFIX))
                    .map(name -> name.substring(PREFIX.length(), name.length() - SUFFIX.length()))
                    .filter(pid -> pid.matches("[0-9]+"))
                    .flatMap(pid -> read(layout, Long.parseLong(pid)).stream())
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void delete(StackLayout layout) {
        try {
            Files.deleteIfExists(file(layout, ownerPid));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The command-line markers of this lease's reaper process. */
    List<String> reaperMarkers() {
        return OwnerReaper.markers(ownerPid);
    }

    /** Whether the owner is still the same live process (its PID may have been reused since). */
    boolean ownerAlive() {
        return Owner.alive(ownerPid, ownerStartMillis);
    }
}
