package io.tidemark.dedup.config;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventFlag;
import io.tidemark.event.EventType;

/** The shared event model is read by Jackson outside a REST signature, so native builds must keep it. */
@RegisterForReflection(targets = {CollectedEvent.class, EventType.class, EventFlag.class})
public class NativeRegistrations {
}
