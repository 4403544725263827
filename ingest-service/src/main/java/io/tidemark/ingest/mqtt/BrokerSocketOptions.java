package io.tidemark.ingest.mqtt;

import io.quarkus.tls.TlsConfiguration;
import io.quarkus.tls.TlsConfigurationRegistry;
import io.quarkus.tls.runtime.config.TlsConfigUtils;
import io.tidemark.ingest.config.MqttConfig;
import io.vertx.core.net.NetClientOptions;
import org.jboss.logging.Logger;

/**
 * The socket of the broker connection: plain TCP, or TLS from the Quarkus TLS configuration that
 * {@code tidemark.ingest.mqtt.tls-configuration-name} names.
 */
final class BrokerSocketOptions {

    private static final Logger LOG = Logger.getLogger(BrokerSocketOptions.class);
    /** Checks the broker's name against its certificate's subject alternative names, as HTTPS does. */
    private static final String VERIFY_AS_HTTPS = "HTTPS";
    private static final String NO_VERIFICATION = "NONE";

    private BrokerSocketOptions() {
    }

    static NetClientOptions of(MqttConfig config, TlsConfigurationRegistry registry) {
        NetClientOptions options = new NetClientOptions();
        config.tlsConfigurationName().ifPresent(name -> withTls(options, registry.get(name).orElseThrow(
                () -> new IllegalStateException("tidemark.ingest.mqtt.tls-configuration-name is " + name
                        + ", but there is no TLS configuration of that name (quarkus.tls." + name + ".*)"))));
        return options;
    }

    /**
     * TLS with the configuration's trust store (the JVM's own if it names none), key store (the client
     * certificate a broker may ask for), protocols and cipher suites.
     *
     * <p>The broker's name is verified unless the configuration says {@code NONE}: Vert.x's socket checks no
     * name unless told to, and the TLS registry leaves it untold when the configuration is silent, which
     * would let anyone with any certificate of a trusted CA stand in for the broker.
     */
    static NetClientOptions withTls(NetClientOptions options, TlsConfiguration tls) {
        TlsConfigUtils.configure(options, tls);
        String algorithm = tls.getHostnameVerificationAlgorithm().orElse(VERIFY_AS_HTTPS);
        if (NO_VERIFICATION.equalsIgnoreCase(algorithm)) {
            LOG.warnf("TLS configuration %s: the MQTT broker's name is not verified (hostname-verification-algorithm=NONE)",
                    tls.getName());
            options.setHostnameVerificationAlgorithm("");
        } else {
            options.setHostnameVerificationAlgorithm(algorithm);
        }
        return options;
    }
}
