package io.tidemark.local;

/** A failure the launcher reports to the user as a message and a non-zero exit, without a stack trace. */
final class StackException extends RuntimeException {

    StackException(String message) {
        super(message);
    }

    StackException(String message, Throwable cause) {
        super(message, cause);
    }
}
