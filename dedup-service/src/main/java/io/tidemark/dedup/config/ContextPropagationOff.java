package io.tidemark.dedup.config;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import jakarta.interceptor.Interceptor;

/**
 * Switches off MicroProfile context propagation in Mutiny at start. It wraps every callback of every
 * operator, and every CompletableFuture Mutiny makes (a Kafka record's acknowledgement makes one), to
 * carry CDI request and transaction contexts across threads. dedup has no such context in its pipelines
 * (they run on Kafka and driver threads, outside any request), and the captures were a tenth of its CPU
 * per record under load. The connector's own per-record wrapper is excluded in application.properties.
 *
 * <p>It runs before SmallRye Reactive Messaging starts its channels (an observer of the same event at
 * {@code LIBRARY_BEFORE}): the Kafka connector assembles its consumer streams then, and a stream
 * assembled with the decorator keeps it. Cleared later (until 2026-12-05), contexts were still begun and
 * ended for every poll and several times per record: 2 % of dedup's CPU and 6 % of what it allocated
 * under bench/run dedup.
 */
@Singleton
public class ContextPropagationOff {

    void switchOffOnStart(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent started) {
        Infrastructure.clearInterceptors();
        Infrastructure.setCompletableFutureWrapper(null);
    }
}
