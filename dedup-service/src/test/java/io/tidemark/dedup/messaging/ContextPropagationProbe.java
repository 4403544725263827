package io.tidemark.dedup.messaging;

import org.eclipse.microprofile.context.spi.ThreadContextController;
import org.eclipse.microprofile.context.spi.ThreadContextProvider;
import org.eclipse.microprofile.context.spi.ThreadContextSnapshot;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A thread context that carries nothing and counts how often MicroProfile context propagation installs
 * it: once each time a callback wrapped to carry contexts runs (registered in META-INF/services, so it
 * is propagated like the CDI request context).
 */
public class ContextPropagationProbe implements ThreadContextProvider {

    private static final AtomicLong BEGUN = new AtomicLong();

    @Override
    public ThreadContextSnapshot currentContext(Map<String, String> props) {
        return ContextPropagationProbe::begin;
    }

    @Override
    public ThreadContextSnapshot clearedContext(Map<String, String> props) {
        return ContextPropagationProbe::begin;
    }

    @Override
    public String getThreadContextType() {
        return "TidemarkProbe";
    }

    private static ThreadContextController begin() {
        BEGUN.incrementAndGet();
        return () -> { };
    }

    static long begun() {
        return BEGUN.get();
    }
}
