package io.tidemark.mart.export;

/** An export asked for while the service stops: another replica, or this one restarted, runs it. */
public class ExportStoppingException extends RuntimeException {

    public ExportStoppingException() {
        super("the service is stopping; ask another replica or again after the restart");
    }
}
