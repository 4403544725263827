package io.tidemark.ingest.mqtt;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Map;
import java.util.UUID;

/** Starts a private Mosquitto for one test profile and switches ingest's MQTT collection on against it. */
public class MosquittoResource implements QuarkusTestResourceLifecycleManager {

    private MosquittoBroker broker;

    @Override
    public Map<String, String> start() {
        broker = MosquittoBroker.start();
        // A new id per run: the broker is new too, but a session must never be shared with another run.
        String clientId = "tidemark-ingest-test-" + UUID.randomUUID();
        return Map.of(
                "tidemark.ingest.mqtt.enabled", "true",
                "tidemark.ingest.mqtt.host", "127.0.0.1",
                "tidemark.ingest.mqtt.port", String.valueOf(broker.port()),
                "tidemark.ingest.mqtt.client-id", clientId,
                "tidemark.ingest.mqtt.retry-delay", "PT1S",
                "tidemark.ingest.mqtt.reconnect-delay", "PT0.5S",
                // Pings every second in every MQTT test: Mosquitto closes a connection silent for 1.5 s.
                "tidemark.ingest.mqtt.keep-alive", "PT1S");
    }

    /** Gives a test field marked {@link Broker} this profile's broker. */
    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(broker, new TestInjector.AnnotatedAndMatchesType(Broker.class, MosquittoBroker.class));
    }

    /** Marks the test field that receives the broker. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    @interface Broker {
    }

    @Override
    public void stop() {
        if (broker != null) {
            broker.close();
        }
    }
}
