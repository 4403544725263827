package io.tidemark.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

/**
 * The reaper `ensure` leaves behind, in a session of its own: it waits for the owner process (the
 * Maven build) to exit, however it exits, then stops the servers that `ensure` started for it.
 */
public final class OwnerReaper {

    private static final String MAIN_CLASS = OwnerReaper.class.getName();
    private static final String OWNER_PID = "--owner-pid";

    private OwnerReaper() {
    }

    static List<String> markers(long ownerPid) {
        return List.of(MAIN_CLASS, OWNER_PID, Long.toString(ownerPid));
    }

    static List<String> command(StackLayout layout, Owner owner) {
        return List.of(
                DetachedProcess.java(),
                // It only sleeps and polls: the smallest JVM that will do.
                "-Xms8m", "-Xmx32m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
                "-cp", ownCopy(layout) + ":" + layout.launcherLib() + "/*",
                MAIN_CLASS,
                "--root", layout.root().toString(),
                "--local-dir", layout.localDir().toString(),
                OWNER_PID, Long.toString(owner.pid()),
                "--owner-start", Long.toString(owner.startMillis()));
    }

    /**
     * The launcher jar as the reaper runs it: a copy in the run directory, one per build of the jar.
     * Building the launcher rewrites the jar in place, and a reaper that then loads a class from it dies
     * with NoClassDefFoundError, so its owner's servers outlive the owner. Copies of older builds are
     * removed; a reaper still running from one keeps its open file.
     */
    static Path ownCopy(StackLayout layout) {
        Path jar = layout.launcherJar();
        try {
            Files.createDirectories(layout.runDir());
            Path copy = layout.runDir().resolve("reaper-" + Files.size(jar) + "-"
                    + Files.getLastModifiedTime(jar).toMillis() + ".jar");
            if (!Files.exists(copy)) {
                Path partial = Files.createTempFile(layout.runDir(), "reaper-", ".partial");
                Files.copy(jar, partial, StandardCopyOption.REPLACE_EXISTING);
                Files.move(partial, copy, StandardCopyOption.ATOMIC_MOVE);
                try (DirectoryStream<Path> older = Files.newDirectoryStream(layout.runDir(), "reaper-*.jar")) {
                    for (Path old : older) {
                        if (!old.equals(copy)) {
                            Files.deleteIfExists(old);
                        }
                    }
                }
            }
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + jar + " for the reaper", e);
        }
    }

    public static void main(String[] args) {
        Path root = null;
        Path localDir = null;
        long ownerPid = -1;
        long ownerStart = -1;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--root" -> root = Path.of(args[i + 1]);
                case "--local-dir" -> localDir = Path.of(args[i + 1]);
                case OWNER_PID -> ownerPid = Long.parseLong(args[i + 1]);
                case "--owner-start" -> ownerStart = Long.parseLong(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (root == null || localDir == null || ownerPid < 0 || ownerStart < 0) {
            System.err.println("usage: OwnerReaper --root DIR --local-dir DIR --owner-pid PID --owner-start MILLIS");
            System.exit(2);
        }
        StackSettings settings = StackSettings.load();
        Duration poll = settings.millis("poll.interval.millis");
        Owner owner = new Owner(ownerPid, ownerStart);
        System.out.println("reaper " + ProcessHandle.current().pid() + ": watching owner " + ownerPid);
        while (Owner.alive(ownerPid, ownerStart)) {
            Sleep.sleep(poll);
        }
        try {
            StackLayout layout = new StackLayout(root, localDir);
            new LocalStack(layout, settings, Topology.recorded(layout, Topology.SINGLE), System.out)
                    .reap(owner, ProcessHandle.current().pid());
        } catch (StackException e) {
            System.out.println("reaper: " + e.getMessage());
            System.exit(1);
        }
    }
}
