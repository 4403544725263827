package io.tidemark.mart.export;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LanesTest {

    private final AtomicBoolean halted = new AtomicBoolean();
    private final Lanes lanes = new Lanes(3, halted::get);

    @AfterEach
    void stop() {
        lanes.close();
    }

    @Test
    void everyItemGoesToExactlyOneLaneTheFirstOnTheCallingThread() throws Exception {
        Set<String> threads = ConcurrentHashMap.newKeySet();
        List<List<Integer>> shares = lanes.run(7, (lane, count, stopped) -> {
            if (lane == 0) {
                threads.add(Thread.currentThread().getName());
            }
            List<Integer> share = new ArrayList<>();
            for (int item = lane; item < 7; item += count) {
                share.add(item);
            }
            return share;
        });

        assertEquals(List.of(List.of(0, 3, 6), List.of(1, 4), List.of(2, 5)), shares);
        assertEquals(Set.of(Thread.currentThread().getName()), threads);
    }

    @Test
    void noMoreLanesThanItemsAndNoneForNothing() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        assertEquals(List.of(2, 2), lanes.run(2, (lane, count, stopped) -> {
            calls.incrementAndGet();
            return count;
        }));
        assertEquals(List.of(), lanes.run(0, (lane, count, stopped) -> calls.incrementAndGet()));
        assertEquals(2, calls.get());
    }

    @Test
    void aHaltStopsEveryLaneAtItsNextItem() {
        CountDownLatch started = new CountDownLatch(3);
        CancellationException thrown = assertThrows(CancellationException.class, () -> lanes.run(3, (lane, count, stopped) -> {
            started.countDown();
            if (lane == 0) {
                started.await(10, TimeUnit.SECONDS);
                halted.set(true);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                if (stopped.getAsBoolean()) {
                    throw new CancellationException("lane " + lane + " halted");
                }
                Thread.onSpinWait();
            }
            return lane;
        }));
        // Without the halt every lane would run out its ten seconds and return.
        assertTrue(thrown.getMessage().endsWith("halted"), thrown.getMessage());
    }

    @Test
    void theFailureThatStoppedTheOthersIsThrownNotTheirStops() {
        CountDownLatch failed = new CountDownLatch(1);
        SQLException thrown = assertThrows(SQLException.class, () -> lanes.run(3, (lane, count, stopped) -> {
            if (lane == 1) {
                failed.countDown();
                throw new SQLException("slice 1 cannot be written");
            }
            failed.await(10, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!stopped.getAsBoolean() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            throw new CancellationException("lane " + lane + " stopped");
        }));
        assertEquals("slice 1 cannot be written", thrown.getMessage());
        assertEquals(0, thrown.getSuppressed().length);
    }

    @Test
    void twoFailuresOfTheirOwnAreBothKept() {
        IOException thrown = assertThrows(IOException.class, () -> lanes.run(3, (lane, count, stopped) -> {
            if (lane == 0) {
                throw new IOException("lane 0's disk");
            }
            if (lane == 2) {
                throw new IllegalStateException("lane 2's read");
            }
            return lane;
        }));
        assertEquals("lane 0's disk", thrown.getMessage());
        assertEquals(1, thrown.getSuppressed().length);
        assertInstanceOf(IllegalStateException.class, thrown.getSuppressed()[0]);
    }
}
