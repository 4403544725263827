package io.tidemark.dedup.config;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

/**
 * Switches off Mutiny's callback decorators at start. The only one installed is MicroProfile context
 * propagation, which wraps every callback of every operator to carry CDI request and transaction
 * contexts across threads. dedup has no such context in its pipelines (they run on Kafka and driver
 * threads, outside any request), and the captures were a tenth of its CPU per record under load.
 */
@Singleton
public class MutinyCallbackDecorators {

    void removeOnStart(@Observes StartupEvent started) {
        Infrastructure.clearInterceptors();
    }
}
