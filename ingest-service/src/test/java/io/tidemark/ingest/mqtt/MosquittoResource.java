package io.tidemark.ingest.mqtt;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.tidemark.testsupport.TestCertificates;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Starts a private Mosquitto for one test profile and switches ingest's MQTT collection on against it. With
 * the argument {@link #TLS} {@code true}, ingest connects to the broker's TLS listener with a client
 * certificate, through the Quarkus TLS configuration {@link #TLS_CONFIGURATION}; devices keep the plain one.
 */
public class MosquittoResource implements QuarkusTestResourceLifecycleManager {

    static final String TLS = "tls";
    /**
     * With the argument {@link #SUBSCRIPTIONS_DENIED} {@code true}, the broker refuses every subscription (SUBACK 0x80)
     * until a test allows them ({@link MosquittoBroker#withSubscriptionsDenied()}).
     */
    static final String SUBSCRIPTIONS_DENIED = "subscriptions-denied";
    static final String TLS_CONFIGURATION = "mqtt";
    /** The name on ingest's client certificate, which the broker takes for its user name. */
    static final String INGEST_CERTIFICATE_NAME = "tidemark-ingest";

    /** The files of ingest's client certificate, and the authority that signed it, to renew it in a test. */
    record IngestCertificate(TestCertificates authority, TestCertificates.Issued files) {
    }

    private MosquittoBroker broker;
    private boolean tls;
    private boolean subscriptionsDenied;
    private IngestCertificate ingestCertificate;

    @Override
    public void init(Map<String, String> arguments) {
        tls = Boolean.parseBoolean(arguments.getOrDefault(TLS, "false"));
        subscriptionsDenied = Boolean.parseBoolean(arguments.getOrDefault(SUBSCRIPTIONS_DENIED, "false"));
    }

    @Override
    public Map<String, String> start() {
        // A new id per run: the broker is new too, but a session must never be shared with another run.
        String clientId = "tidemark-ingest-test-" + UUID.randomUUID();
        Map<String, String> settings = new HashMap<>(Map.of(
                "tidemark.ingest.mqtt.enabled", "true",
                "tidemark.ingest.mqtt.client-id", clientId,
                "tidemark.ingest.mqtt.retry-delay", "PT1S",
                "tidemark.ingest.mqtt.reconnect-delay", "PT0.5S",
                // Pings every second in every MQTT test: Mosquitto closes a connection silent for 1.5 s.
                "tidemark.ingest.mqtt.keep-alive", "PT1S"));
        if (tls) {
            TestCertificates authority = TestCertificates.authority(
                    Path.of("target", "tls", UUID.randomUUID().toString()), "tidemark-test-ca");
            TestCertificates.Issued ingest = authority.issue(INGEST_CERTIFICATE_NAME, null, "clientAuth");
            ingestCertificate = new IngestCertificate(authority, ingest);
            broker = MosquittoBroker.withTls(authority.issue("broker", "dns:localhost", "serverAuth"),
                    authority.authorityCertificate());
            String tlsSettings = "quarkus.tls." + TLS_CONFIGURATION;
            settings.putAll(Map.of(
                    "tidemark.ingest.mqtt.host", "localhost",
                    "tidemark.ingest.mqtt.port", String.valueOf(broker.tlsPort()),
                    "tidemark.ingest.mqtt.tls-configuration-name", TLS_CONFIGURATION,
                    tlsSettings + ".trust-store.pem.certs", authority.authorityCertificate().toString(),
                    tlsSettings + ".key-store.pem.ingest.cert", ingest.certificate().toString(),
                    tlsSettings + ".key-store.pem.ingest.key", ingest.key().toString(),
                    // Read again every second, so that a test can renew the certificate.
                    tlsSettings + ".reload-period", "PT1S"));
        } else {
            broker = subscriptionsDenied ? MosquittoBroker.withSubscriptionsDenied() : MosquittoBroker.start();
            settings.putAll(Map.of(
                    "tidemark.ingest.mqtt.host", "127.0.0.1",
                    "tidemark.ingest.mqtt.port", String.valueOf(broker.port())));
        }
        return settings;
    }

    /** Gives a test field marked {@link Broker} this profile's broker. */
    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(broker, new TestInjector.AnnotatedAndMatchesType(Broker.class, MosquittoBroker.class));
        if (ingestCertificate != null) {
            injector.injectIntoFields(ingestCertificate,
                    new TestInjector.AnnotatedAndMatchesType(Broker.class, IngestCertificate.class));
        }
    }

    /** Marks the test fields that receive the broker, and of a TLS broker, ingest's certificate. */
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
