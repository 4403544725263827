package io.tidemark.ingest.mqtt;

import io.smallrye.health.api.Wellness;
import io.tidemark.ingest.config.MqttConfig;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;

/**
 * Whether ingest is subscribed to the devices' broker, under {@code /q/health/well}. Deliberately not a
 * readiness check: a broker outage must not take the HTTP API out of its load balancer, and with MQTT
 * off there is nothing to wait for.
 */
@Wellness
@ApplicationScoped
public class MqttSubscriptionCheck implements HealthCheck {

    private final MqttConfig config;
    private final MqttDeviceSubscriber subscriber;

    public MqttSubscriptionCheck(MqttConfig config, MqttDeviceSubscriber subscriber) {
        this.config = config;
        this.subscriber = subscriber;
    }

    @Override
    public HealthCheckResponse call() {
        if (!config.enabled()) {
            return HealthCheckResponse.named("mqtt-devices").up().withData("enabled", false).build();
        }
        return HealthCheckResponse.named("mqtt-devices").status(subscriber.subscribed())
                .withData("enabled", true).withData("broker", config.host() + ":" + config.port()).build();
    }
}
