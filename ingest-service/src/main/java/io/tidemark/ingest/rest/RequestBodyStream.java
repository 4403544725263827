package io.tidemark.ingest.rest;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * A request body as a blocking {@link InputStream} for a worker thread, with back-pressure: the
 * request is paused while a few chunks wait unread, so a large upload never piles up in memory.
 */
final class RequestBodyStream extends InputStream {

    private static final int HIGH_WATER = 8;
    private static final int LOW_WATER = 2;

    private final HttpServerRequest request;
    private final Context context;
    private final long maxBytes;
    private final long idleMillis;
    private final Duration maxDuration;
    private final long deadlineNanos;
    private final ArrayDeque<Buffer> chunks = new ArrayDeque<>();
    private Buffer current;
    private int position;
    private boolean ended;
    private boolean paused;
    private Throwable failure;
    private long received;

    /** Must be called on the request's event loop, before the request delivers any data. */
    RequestBodyStream(HttpServerRequest request, Context context, long maxBytes, Duration idleTimeout,
            Duration maxDuration) {
        this.request = request;
        this.context = context;
        this.maxBytes = maxBytes;
        this.idleMillis = idleTimeout.toMillis();
        this.maxDuration = maxDuration;
        this.deadlineNanos = System.nanoTime() + maxDuration.toNanos();
        request.handler(this::arrived);
        request.endHandler(v -> end(null));
        request.exceptionHandler(this::end);
    }

    private synchronized void arrived(Buffer chunk) {
        received += chunk.length();
        chunks.addLast(chunk);
        if (chunks.size() >= HIGH_WATER && !paused) {
            paused = true;
            request.pause();
        }
        notifyAll();
    }

    private synchronized void end(Throwable error) {
        ended = true;
        failure = error;
        notifyAll();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public synchronized int read(byte[] target, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        if (System.nanoTime() - deadlineNanos > 0) {
            throw new DeadlinePassedException(maxDuration);
        }
        while (current == null || position == current.length()) {
            current = null;
            if (received > maxBytes) {
                throw new BodyTooLargeException(maxBytes);
            }
            if (!chunks.isEmpty()) {
                current = chunks.removeFirst();
                position = 0;
                if (paused && chunks.size() <= LOW_WATER) {
                    paused = false;
                    context.runOnContext(v -> request.resume());
                }
            } else if (failure != null) {
                throw new IOException("the upload failed: " + failure.getMessage(), failure);
            } else if (ended) {
                return -1;
            } else {
                awaitData();
            }
        }
        int count = Math.min(length, current.length() - position);
        current.getBytes(position, position + count, target, offset);
        position += count;
        return count;
    }

    private void awaitData() throws IOException {
        long deadline = System.currentTimeMillis() + idleMillis;
        try {
            while (chunks.isEmpty() && !ended) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    throw new IOException("the upload sent nothing for " + idleMillis + " ms");
                }
                long untilDeadline = (deadlineNanos - System.nanoTime()) / 1_000_000;
                if (untilDeadline <= 0) {
                    throw new DeadlinePassedException(maxDuration);
                }
                wait(Math.min(left, untilDeadline));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** The import took longer than it may in all. */
    static final class DeadlinePassedException extends IOException {
        DeadlinePassedException(Duration maxDuration) {
            super("the import took longer than " + maxDuration.toSeconds() + " s");
        }
    }

    /** The body grew past the import limit. */
    static final class BodyTooLargeException extends IOException {
        BodyTooLargeException(long maxBytes) {
            super("the import body is larger than " + maxBytes + " bytes");
        }
    }
}
