package io.tidemark.mart.export;

import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * A day's work dealt out to lanes: items {@code lane}, {@code lane + lanes}, ... go to one lane, the
 * first lane runs on the calling thread and the others on threads of their own, so a large day's reads
 * and writes take as many cores as there are lanes. The first failure stops the other lanes at their
 * next item and is the one thrown; a lane that stopped only because of it adds nothing to it. A halt (the
 * service stopping) stops every lane the same way.
 */
final class Lanes implements AutoCloseable {

    /** One lane's share of the items; it gives up with a {@link CancellationException} once {@code stopped}. */
    @FunctionalInterface
    interface Lane<T> {
        T run(int lane, int lanes, BooleanSupplier stopped) throws Exception;
    }

    private final int lanes;
    private final BooleanSupplier halted;
    private final ExecutorService threads = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "mart-export-lane");
        thread.setDaemon(true);
        return thread;
    });

    /** @param halted true once every lane should stop at its next item, as after a failure */
    Lanes(int lanes, BooleanSupplier halted) {
        this.lanes = Math.max(1, lanes);
        this.halted = halted;
    }

    /** Runs {@code lane} on up to as many lanes as there are items; returns each lane's result, in lane order. */
    <T> List<T> run(int items, Lane<T> lane) throws SQLException, IOException {
        int count = Math.min(lanes, items);
        AtomicBoolean failed = new AtomicBoolean();
        BooleanSupplier stopped = () -> failed.get() || halted.getAsBoolean();
        List<CompletableFuture<T>> others = new ArrayList<>(Math.max(0, count - 1));
        for (int other = 1; other < count; other++) {
            int index = other;
            others.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return lane.run(index, count, stopped);
                } catch (Exception e) {
                    failed.set(true);
                    throw new CompletionException(e);
                }
            }, threads));
        }
        List<T> results = new ArrayList<>(count);
        Exception failure = null;
        if (count > 0) {
            try {
                results.add(lane.run(0, count, stopped));
            } catch (Exception e) {
                failed.set(true);
                failure = e;
            }
        }
        for (CompletableFuture<T> other : others) {
            try {
                results.add(other.join());
            } catch (CompletionException e) {
                failure = worse(failure, e.getCause() instanceof Exception cause ? cause : e);
            }
        }
        if (failure instanceof SQLException sql) {
            throw sql;
        } else if (failure instanceof IOException io) {
            throw io;
        } else if (failure instanceof RuntimeException runtime) {
            throw runtime;
        } else if (failure != null) {
            throw new IllegalStateException(failure);
        }
        return results;
    }

    /** A lane's own failure rather than one that only stopped because of another's; the rest suppressed. */
    private static Exception worse(Exception so, Exception more) {
        if (so == null) {
            return more;
        }
        boolean soStopped = so instanceof CancellationException;
        Exception first = soStopped && !(more instanceof CancellationException) ? more : so;
        Exception second = first == so ? more : so;
        if (!(second instanceof CancellationException)) {
            first.addSuppressed(second);
        }
        return first;
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
