package io.tidemark.mart.export;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Default;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ready once the mirror holds what the bucket held at start (store kind s3): a replica added behind
 * the load balancer must not answer a day as missing that the others serve. Always ready with a
 * local store, which has nothing to fetch.
 */
@Readiness
@Default // also injected plainly, by the code that fills the mirror
@ApplicationScoped
public class MirrorReadiness implements HealthCheck {

    private final AtomicBoolean filled = new AtomicBoolean();
    private final MirrorSync mirror;

    public MirrorReadiness(MirrorSync mirror) {
        this.mirror = mirror;
    }

    /** Called after a pass over every source of the bucket that succeeded. */
    void filled() {
        filled.set(true);
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("mart-mirror").status(!mirror.enabled() || filled.get()).build();
    }
}
