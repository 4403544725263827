package io.tidemark.ingest.service.rejection;

/**
 * An import that stopped part-way. Lines before {@code firstUnstoredLine} are stored; sending the
 * whole file again is safe, as the copies of stored lines carry the same messageIds.
 */
public class ImportStoppedException extends RuntimeException {

    private final int status;
    private final long retryAfterSeconds;

    public ImportStoppedException(int status, long firstUnstoredLine, long retryAfterSeconds, String why, Throwable cause) {
        super(why + "; lines before " + firstUnstoredLine + " are stored, the rest are not: send the file again "
                + "(lines already stored are dropped as copies by their messageId)", cause);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int status() {
        return status;
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
