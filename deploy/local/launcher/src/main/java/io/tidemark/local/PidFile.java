package io.tidemark.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;

/** run/&lt;part&gt;.pid: the PID the stack recorded for a part, trusted only while it is still that process. */
final class PidFile {

    private final Path file;

    PidFile(Path file) {
        this.file = file;
    }

    Path path() {
        return file;
    }

    void write(long pid) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, pid + "\n", StandardCharsets.US_ASCII);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The recorded PID, if the file exists and holds one. */
    Optional<Long> recorded() {
        try {
            return parse(Files.readString(file, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The recorded process if it is alive and still the expected one; a stale file is removed. */
    Optional<ProcessHandle> live(List<String> markers) {
        Optional<Long> pid = recorded();
        if (pid.isEmpty()) {
            deleteIfPresent();
            return Optional.empty();
        }
        Optional<ProcessHandle> process = ProcessIdentity.find(pid.get(), markers);
        if (process.isEmpty()) {
            deleteIfPresent();
        }
        return process;
    }

    void deleteIfPresent() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Optional<Long> parse(String text) {
        String trimmed = text.strip();
        if (!trimmed.matches("[1-9][0-9]{0,18}")) {
            return Optional.empty();
        }
        return Optional.of(Long.parseLong(trimmed));
    }
}
