package io.tidemark.schema;

import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.servererrors.CASWriteUnknownException;
import com.datastax.oss.driver.api.core.servererrors.InvalidQueryException;
import com.datastax.oss.driver.api.core.servererrors.ReadFailureException;
import com.datastax.oss.driver.api.core.servererrors.ReadTimeoutException;
import com.datastax.oss.driver.api.core.servererrors.WriteFailureException;
import com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException;
import java.time.Duration;
import java.util.function.Supplier;
import org.cognitor.cassandra.migration.MigrationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tries at one owner's migration: which failures are tried again, how often and after what wait. A try may be
 * started again from its beginning because every step of it is idempotent: the keyspace and history tables are created
 * if missing, the scripts (idempotent statements, checked by {@code MigrationScriptsTest}) run from the version after
 * the highest one recorded as applied, and the lead is held under one id for all tries ({@link MigrationLead}).
 */
final class MigrationAttempts {

    /** What a failed try calls for. */
    enum Verdict {
        /** A node answered before a new table reached it: wait for schema agreement, then try again. */
        SCHEMA_NOT_SETTLED,
        /** A coordinator gave up waiting for replicas (a node starting or starved): pause, then try again. */
        COORDINATOR_TIMEOUT,
        /** Anything else: a script or setting is wrong, or the cluster is unreachable. */
        FINAL
    }

    /** The waits between tries, injected so that a test takes none. */
    interface Waits {

        void awaitSchemaAgreement();

        void pause(Duration duration);
    }

    /** Tries per owner while the schema settles; each waits for agreement first. */
    static final int SETTLE_ATTEMPTS = 10;
    /**
     * Tries per owner after coordinator timeouts. A three-node cluster starting on a loaded two-core machine timed out a
     * lightweight transaction of the lead once (SERIAL, 1 of 2 replicas) and answered the next try 5 s later.
     */
    static final int TIMEOUT_ATTEMPTS = 4;
    static final Duration TIMEOUT_PAUSE = Duration.ofSeconds(5);

    private static final Logger LOG = LoggerFactory.getLogger(MigrationAttempts.class);

    private MigrationAttempts() {
    }

    /** Runs {@code attempt} until it returns, or fails finally or past its bound; a library failure becomes a {@link SchemaException}. */
    static String run(String owner, Supplier<String> attempt, Waits waits) {
        int unsettled = 0;
        int timeouts = 0;
        while (true) {
            try {
                return attempt.get();
            } catch (MigrationException | DriverException e) {
                Verdict verdict = verdict(e);
                boolean again = switch (verdict) {
                    case SCHEMA_NOT_SETTLED -> ++unsettled < SETTLE_ATTEMPTS;
                    case COORDINATOR_TIMEOUT -> ++timeouts < TIMEOUT_ATTEMPTS;
                    case FINAL -> false;
                };
                if (!again) {
                    throw e instanceof MigrationException m ? new SchemaException(owner + ": " + describe(m), m) : e;
                }
                if (verdict == Verdict.COORDINATOR_TIMEOUT) {
                    LOG.warn("schema {}: {}; trying again in {} s (try {} of {})", owner, rootMessage(e),
                            TIMEOUT_PAUSE.toSeconds(), timeouts + 1, TIMEOUT_ATTEMPTS);
                    waits.pause(TIMEOUT_PAUSE);
                } else {
                    LOG.warn("schema {}: {}; trying again once the schema agrees (try {} of {})", owner, rootMessage(e),
                            unsettled + 1, SETTLE_ATTEMPTS);
                    waits.awaitSchemaAgreement();
                }
            }
        }
    }

    /** The first cause in {@code failure}'s chain that calls for another try, or {@link Verdict#FINAL}. */
    static Verdict verdict(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ReadFailureException || cause instanceof WriteFailureException
                    || cause instanceof InvalidQueryException && String.valueOf(cause.getMessage()).contains("does not exist")) {
                return Verdict.SCHEMA_NOT_SETTLED;
            }
            // A lightweight transaction's timeout is a WriteTimeoutException of write type CAS (or, its outcome unknown
            // under protocol v5, a CASWriteUnknownException); its SERIAL read, a ReadTimeoutException.
            if (cause instanceof WriteTimeoutException || cause instanceof ReadTimeoutException
                    || cause instanceof CASWriteUnknownException) {
                return Verdict.COORDINATOR_TIMEOUT;
            }
        }
        return Verdict.FINAL;
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root == failure ? String.valueOf(failure.getMessage()) : failure.getMessage() + ": " + root.getMessage();
    }

    private static String describe(MigrationException e) {
        StringBuilder text = new StringBuilder(e.getMessage());
        if (e.getScriptName() != null) {
            text.append(" [script ").append(e.getScriptName()).append(']');
        }
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            text.append(": ").append(cause.getMessage());
        }
        return text.toString();
    }
}
