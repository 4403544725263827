package io.tidemark.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/** The parts' log files: one per start, the previous run kept as .1, tails quoted in error messages. */
final class LogFiles {

    private static final int TAIL_WINDOW_BYTES = 256 * 1024;

    private LogFiles() {
    }

    /** Moves the previous run's log to &lt;log&gt;.1 so the fresh file holds only this start. */
    static void rotate(Path log) {
        try {
            Files.createDirectories(log.getParent());
            if (Files.exists(log)) {
                Files.move(log, log.resolveSibling(log.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The last lines of a log, read from its end: Cassandra's log runs to megabytes. */
    static List<String> tail(Path log, int lines) {
        if (!Files.isRegularFile(log)) {
            return List.of("(no log at " + log + ")");
        }
        try (SeekableByteChannel channel = Files.newByteChannel(log)) {
            long size = channel.size();
            int window = (int) Math.min(size, TAIL_WINDOW_BYTES);
            ByteBuffer buffer = ByteBuffer.allocate(window);
            channel.position(size - window);
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // keep reading until the window is full
            }
            List<String> all = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).lines().toList();
            if (window < size && !all.isEmpty()) {
                all = all.subList(1, all.size()); // the first line of the window is cut
            }
            return List.copyOf(all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return List.of("(cannot read " + log + ": " + e.getMessage() + ")");
        }
    }
}
