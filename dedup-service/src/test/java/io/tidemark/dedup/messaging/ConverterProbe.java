package io.tidemark.dedup.messaging;

import io.smallrye.reactive.messaging.MessageConverter;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.lang.reflect.Type;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A message converter that converts nothing and counts how often SmallRye asks it: each question is a
 * converter search, which SmallRye makes for a record whose payload is not of the consumer's payload type.
 */
@ApplicationScoped
public class ConverterProbe implements MessageConverter {

    private final AtomicLong asked = new AtomicLong();

    @Override
    public boolean canConvert(Message<?> in, Type target) {
        asked.incrementAndGet();
        return false;
    }

    @Override
    public Message<?> convert(Message<?> in, Type target) {
        throw new UnsupportedOperationException("converts nothing");
    }

    long asked() {
        return asked.get();
    }
}
