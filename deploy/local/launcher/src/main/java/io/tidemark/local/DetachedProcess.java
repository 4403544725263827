package io.tidemark.local;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Starts a server in a session of its own (setsid), so Ctrl-C on the caller or the end of a Maven
 * build does not reach it, with stdin from /dev/null and stdout+stderr into its log. Nothing of the
 * caller's stdio is inherited: exec-maven-plugin waits for its pipes to close and would hang.
 */
final class DetachedProcess {

    private DetachedProcess() {
    }

    static ProcessHandle start(List<String> command, Path log, Path workDir) {
        String setsid = executable("setsid").orElseThrow(() ->
                new StackException("setsid (util-linux) is needed to start servers detached; it is not on PATH"));
        List<String> full = new ArrayList<>();
        full.add(setsid);
        full.addAll(command);
        try {
            Files.createDirectories(workDir);
            LogFiles.rotate(log);
            Files.writeString(log, "# " + Instant.now() + " started by the Tidemark local stack:\n# "
                            + String.join(" ", command) + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
            Process process = new ProcessBuilder(full)
                    .directory(workDir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectErrorStream(true)
                    .start();
            // setsid does not fork when its caller is no group leader, which a JVM child never is:
            // this PID is the server's own once setsid has exec'd.
            return process.toHandle();
        } catch (IOException e) {
            throw new StackException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
        }
    }

    /** The JVM running the launcher; the servers use the same one. */
    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** An executable found on PATH, if any. */
    static Optional<String> executable(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate.toString());
            }
        }
        return Optional.empty();
    }

    /** Runs a short command to completion, output into the given log; fails with the log's tail. */
    static void runToCompletion(List<String> command, Path log, Path workDir, int tailLines) {
        try {
            Files.createDirectories(log.getParent());
            Process process = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
                    .redirectErrorStream(true)
                    .start();
            int exit = process.waitFor();
            if (exit != 0) {
                throw new StackException(String.join(" ", command.subList(Math.max(0, command.size() - 6), command.size()))
                        + " failed with exit code " + exit + "; end of " + log + ":\n  "
                        + String.join("\n  ", LogFiles.tail(log, tailLines)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted while running " + command.get(0), e);
        }
    }
}
