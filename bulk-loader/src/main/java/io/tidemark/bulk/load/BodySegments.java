package io.tidemark.bulk.load;

import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * The memory request bodies are written into: fixed-size segments, reused once ingest answered their
 * chunk. A body in one array grew by doubling to a few MB and was copied once more to send it: on the
 * loader's 256 MB heap (1 MB G1 regions) every such array was humongous and each chunk started a
 * concurrent mark cycle (bench/run bulk, -Xlog:gc: 30 collections in a 5 s run of 200,000 rows).
 * Segments stay under half a region, and reused ones are allocated once per run. Used by the cursor's
 * thread only: bodies are written and given back there.
 */
final class BodySegments {

    /** Well under half of the smallest G1 region (1 MB), so a segment is never a humongous object. */
    static final int SEGMENT_BYTES = 128 * 1024;

    private final Deque<byte[]> free = new ArrayDeque<>();

    /** A body of the segments of this pool. */
    Output open() {
        return new Output();
    }

    /** Segments of a body ingest answered, to be written again. */
    void giveBack(List<byte[]> parts) {
        for (byte[] part : parts) {
            if (part.length == SEGMENT_BYTES) {
                free.push(part);
            }
        }
    }

    private byte[] take() {
        byte[] segment = free.poll();
        return segment != null ? segment : new byte[SEGMENT_BYTES];
    }

    /** One body being written: full segments, then the one being filled. */
    final class Output extends OutputStream {
        private final List<byte[]> full = new ArrayList<>();
        private byte[] current = take();
        private int position;

        @Override
        public void write(int b) {
            if (position == current.length) {
                next();
            }
            current[position++] = (byte) b;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            while (length > 0) {
                if (position == current.length) {
                    next();
                }
                int n = Math.min(length, current.length - position);
                System.arraycopy(bytes, offset, current, position, n);
                position += n;
                offset += n;
                length -= n;
            }
        }

        private void next() {
            full.add(current);
            current = take();
            position = 0;
        }

        long size() {
            return (long) full.size() * SEGMENT_BYTES + position;
        }

        /**
         * The body as consecutive arrays, each sent whole: the full segments and a copy of the last one's
         * written part (its segment goes back to the pool at once).
         */
        List<byte[]> parts() {
            List<byte[]> parts = new ArrayList<>(full);
            if (position > 0) {
                parts.add(Arrays.copyOf(current, position));
            }
            free.push(current);
            current = null;
            return parts;
        }
    }
}
