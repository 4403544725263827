package io.tidemark.dedup.service;

import io.smallrye.mutiny.Uni;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RefreshedTest {

    /** Reads answered when the test says so, each with the value it is given. */
    private final List<CompletableFuture<Integer>> reads = new ArrayList<>();

    private final Refreshed<String, Integer> layouts = new Refreshed<>(Duration.ZERO, "layout", (key, before) -> {
        CompletableFuture<Integer> read = new CompletableFuture<>();
        reads.add(read);
        return Uni.createFrom().completionStage(read);
    });

    @Test
    void aReadBegunEarlierAndAnsweredLaterDoesNotPutItsOlderValueBack() {
        CompletableFuture<Void> first = layouts.refresh(Set.of("day")).subscribeAsCompletionStage();
        CompletableFuture<Void> second = layouts.refresh(Set.of("day")).subscribeAsCompletionStage();
        assertEquals(2, reads.size(), "both batches read the day");

        reads.get(1).complete(16);
        second.join();
        reads.get(0).complete(8);
        first.join();

        assertEquals(16, layouts.get("day"), "the value of the read begun last");
    }

    @Test
    void aLaterReadReplacesAnEarlierOne() {
        layouts.refresh(Set.of("day")).subscribeAsCompletionStage();
        reads.get(0).complete(8);
        layouts.refresh(Set.of("day")).subscribeAsCompletionStage();
        reads.get(1).complete(16);

        assertEquals(16, layouts.get("day"));
    }
}
