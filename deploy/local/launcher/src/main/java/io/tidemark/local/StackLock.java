package io.tidemark.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;

/** One stack command at a time per data dir: parallel builds and the reaper take turns, never race. */
final class StackLock implements AutoCloseable {

    private final FileChannel channel;
    private final FileLock lock;

    private StackLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static StackLock acquire(StackLayout layout) {
        try {
            Files.createDirectories(layout.runDir());
            FileChannel channel = FileChannel.open(layout.lockFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                System.out.println("waiting for another stack command to finish (" + layout.display(layout.lockFile()) + ")");
                lock = channel.lock();
            }
            return new StackLock(channel, lock);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
