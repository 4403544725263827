package io.tidemark.ingest.service.rejection;

import java.io.IOException;

/**
 * An import whose stream broke off ({@link #getCause()}: too large, too slow, damaged, or the client
 * gone) after the lines before {@code firstUnreadLine} were read whole, sent and acknowledged: each of
 * them is stored, or refused and parked on the dead-letter topic.
 */
public class ImportCutShortException extends IOException {

    private final long firstUnreadLine;
    private final long accepted;
    private final long rejected;

    public ImportCutShortException(IOException cause, long firstUnreadLine, long accepted, long rejected) {
        super(cause.getMessage(), cause);
        this.firstUnreadLine = firstUnreadLine;
        this.accepted = accepted;
        this.rejected = rejected;
    }

    /** The first line that is not stored: the one the stream broke off in. */
    public long firstUnreadLine() {
        return firstUnreadLine;
    }

    /** What became of the lines before it. */
    public String outcome() {
        long read = firstUnreadLine - 1;
        return read == 0 ? "no line was read whole"
                : "lines 1 to " + read + " were read whole: " + accepted + " events are stored and " + rejected
                        + " lines refused (see the dead-letter topic)";
    }
}
