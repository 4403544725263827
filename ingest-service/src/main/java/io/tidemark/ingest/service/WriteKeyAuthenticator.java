package io.tidemark.ingest.service;

import io.tidemark.ingest.config.IngestConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** Finds the source a request writes to from its write key, as Segment's API authenticates. */
@ApplicationScoped
public class WriteKeyAuthenticator {

    private static final String BASIC = "basic ";
    private final Map<String, String> sourceByWriteKey = new HashMap<>();

    public WriteKeyAuthenticator(IngestConfig config) {
        config.sources().forEach((source, settings) ->
                settings.writeKeys().forEach(key -> sourceByWriteKey.put(key, source)));
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
