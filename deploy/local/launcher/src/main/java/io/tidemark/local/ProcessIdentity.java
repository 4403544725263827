package io.tidemark.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Decides whether a PID still belongs to the process the stack started: a java process whose command
 * line holds every expected marker (main class, config file, jar). PIDs are reused, files go stale.
 */
final class ProcessIdentity {

    private ProcessIdentity() {
    }

    /** True when argv[0] is a java launcher and each marker is one of the arguments. */
    static boolean matches(List<String> commandLine, List<String> markers) {
        if (commandLine.isEmpty()) {
            return false;
        }
        String executable = commandLine.get(0);
        String name = executable.substring(executable.lastIndexOf('/') + 1);
        if (!name.equals("java")) {
            return false;
        }
        List<String> arguments = commandLine.subList(1, commandLine.size());
        return arguments.containsAll(markers);
    }

    /** The live process with that PID if it is the expected one. */
    static Optional<ProcessHandle> find(long pid, List<String> markers) {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (handle.isEmpty()) {
            return Optional.empty();
        }
        return commandLine(pid).filter(cmd -> matches(cmd, markers)).flatMap(cmd -> handle);
    }

    /** The command line from /proc; ProcessHandle.Info may truncate it or hide it for other users. */
    static Optional<List<String>> commandLine(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            if (raw.length == 0) {
                return Optional.empty();
            }
            String text = new String(raw, StandardCharsets.UTF_8);
            if (text.endsWith("\0")) {
                text = text.substring(0, text.length() - 1);
            }
            return Optional.of(Arrays.asList(text.split("\0", -1)));
        } catch (IOException e) {
            return ProcessHandle.of(pid).flatMap(h -> {
                ProcessHandle.Info info = h.info();
                return info.command().map(command -> {
                    List<String> cmd = new java.util.ArrayList<>();
                    cmd.add(command);
                    info.arguments().ifPresent(args -> cmd.addAll(Arrays.asList(args)));
                    return cmd;
                });
            });
        }
    }
}
