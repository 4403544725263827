package io.tidemark.ingest.service;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigUtils;
import io.tidemark.ingest.config.IngestConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Finds the source a request writes to from its write key, as Segment's API authenticates. */
@ApplicationScoped
public class WriteKeyAuthenticator {

    private static final String BASIC = "basic ";
    /** How the deployment examples (deploy/k8s/base/*-secrets.properties-example) mark a key to replace. */
    static final String PLACEHOLDER_PREFIX = "CHANGE-ME";
    /** The demo source's key, which only the {@code local} and {@code test} profiles define. */
    static final String DEMO_WRITE_KEY = "dev-write-key";

    private final Map<String, List<String>> writeKeysBySource = new HashMap<>();
    private final Map<String, String> sourceByWriteKey = new HashMap<>();

    public WriteKeyAuthenticator(IngestConfig config) {
        config.sources().forEach((source, settings) -> {
            writeKeysBySource.put(source, settings.writeKeys());
            settings.writeKeys().forEach(key -> sourceByWriteKey.put(key, source));
        });
    }

    /**
     * A key anyone can read (the example's placeholder, the README's demo key) or a blank one would let
     * anybody write to the source, and no source at all would refuse every event: the service refuses to
     * start instead, naming the setting. The demo key is fine only where the profile that defines it is
     * active (the local stack, tests).
     */
    void check(@Observes StartupEvent event) {
        boolean demoKeyAllowed = ConfigUtils.isProfileActive("local") || ConfigUtils.isProfileActive("test");
        refusal(writeKeysBySource, demoKeyAllowed).ifPresent(reason -> {
            throw new IllegalStateException(reason);
        });
    }

    /** Why these write keys must not be served, if they must not. */
    static Optional<String> refusal(Map<String, List<String>> writeKeysBySource, boolean demoKeyAllowed) {
        if (writeKeysBySource.isEmpty()) {
            return Optional.of("no source is configured: set tidemark.ingest.sources.<source>.write-keys in the "
                    + "deployment's secret");
        }
        for (Map.Entry<String, List<String>> source : writeKeysBySource.entrySet()) {
            String setting = "tidemark.ingest.sources." + source.getKey() + ".write-keys";
            for (String key : source.getValue()) {
                if (key.isBlank()) {
                    return Optional.of(setting + " holds a blank write key");
                }
                if (key.startsWith(PLACEHOLDER_PREFIX)) {
                    return Optional.of(setting + " still holds the example's placeholder " + PLACEHOLDER_PREFIX
                            + "...: set a real write key in the deployment's secret");
                }
                if (key.equals(DEMO_WRITE_KEY) && !demoKeyAllowed) {
                    return Optional.of(setting + " holds the local demo key " + DEMO_WRITE_KEY
                            + ", which the README publishes: set a key of your own");
                }
            }
        }
        return Optional.empty();
    }

    /**
     * @param authorization the Authorization header (HTTP Basic, write key as user name); may be null
     * @param bodyWriteKey the {@code writeKey} field of the body, Segment's alternative; may be null
     */
    public Optional<String> source(String authorization, String bodyWriteKey) {
        String writeKey = basicUser(authorization);
        if (writeKey == null) {
            writeKey = bodyWriteKey;
        }
        return writeKey == null ? Optional.empty() : Optional.ofNullable(sourceByWriteKey.get(writeKey));
    }

    /** Whether the Authorization header names a write key (HTTP Basic with a user name), which then decides. */
    public boolean carriesWriteKey(String authorization) {
        return basicUser(authorization) != null;
    }

    private static String basicUser(String authorization) {
        if (authorization == null || authorization.length() <= BASIC.length()
                || !authorization.regionMatches(true, 0, BASIC, 0, BASIC.length())) {
            return null;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(BASIC.length()).trim()),
                    StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        int colon = decoded.indexOf(':');
        String user = colon < 0 ? decoded : decoded.substring(0, colon);
        return user.isEmpty() ? null : user;
    }
}
