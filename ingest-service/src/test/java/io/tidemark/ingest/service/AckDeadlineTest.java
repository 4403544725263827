package io.tidemark.ingest.service;

import io.smallrye.mutiny.TimeoutException;
import io.smallrye.mutiny.Uni;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AckDeadlineTest {

    private final AckDeadline deadline = new AckDeadline(Duration.ofSeconds(5));

    @AfterEach
    void stop() {
        deadline.stop();
    }

    @Test
    void anAnsweredWaitLeavesNoTimerBehind() {
        for (int request = 0; request < 1_000; request++) {
            CompletableFuture<String> ack = new CompletableFuture<>();
            CompletableFuture<String> answer = deadline.bound(Uni.createFrom().completionStage(ack))
                    .subscribeAsCompletionStage();
            ack.complete("stored");
            assertEquals("stored", answer.join());
        }
        assertEquals(0, deadline.pending(), "timers of answered waits still queued");
    }

    @Test
    void aWaitWithoutAnAnswerFailsAfterTheTimeout() {
        AckDeadline shortDeadline = new AckDeadline(Duration.ofMillis(50));
        try {
            CompletableFuture<String> answer = shortDeadline.bound(Uni.createFrom().completionStage(new CompletableFuture<String>()))
                    .subscribeAsCompletionStage();
            CompletionException failure = assertThrows(CompletionException.class, answer::join);
            assertInstanceOf(TimeoutException.class, failure.getCause());
            assertEquals(0, shortDeadline.pending());
        } finally {
            shortDeadline.stop();
        }
    }
}
