package io.tidemark.ingest.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.ingest.config.IngestConfig;
import io.tidemark.ingest.service.SdkSettings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.EntityTag;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The answer to a settings request, for both paths the SDKs use: the document with Cache-Control and
 * an ETag, 304 when the client holds it already, 404 for an unknown write key.
 */
@ApplicationScoped
public class SettingsAnswer {

    private final SdkSettings settings;
    private final ObjectMapper json;
    private final CacheControl cacheControl;

    public SettingsAnswer(SdkSettings settings, ObjectMapper json, IngestConfig config) {
        this.settings = settings;
        this.json = json;
        this.cacheControl = new CacheControl();
        cacheControl.setNoTransform(false);
        cacheControl.setMaxAge((int) config.sdk().settingsMaxAge().toSeconds());
    }

    Response answer(String writeKey, UriInfo uri, Request request) throws JsonProcessingException {
        URI base = uri.getBaseUri();
        String host = base.getPort() < 0 ? base.getHost() : base.getHost() + ":" + base.getPort();
        var document = settings.forWriteKey(writeKey, host, base.getScheme()).orElseThrow(() -> new ProblemException(
                404, "unknown-write-key", "Unknown write key", "no source has this write key", "writeKey"));
        byte[] body = json.writeValueAsBytes(document);
        EntityTag tag = entityTag(body);
        Response.ResponseBuilder unchanged = request.evaluatePreconditions(tag);
        if (unchanged != null) {
            return unchanged.cacheControl(cacheControl).tag(tag).build();
        }
        return Response.ok(new String(body, StandardCharsets.UTF_8), MediaType.APPLICATION_JSON_TYPE)
                .cacheControl(cacheControl).tag(tag).build();
    }

    /** A strong ETag from the content itself, so every replica answers the same one. */
    static EntityTag entityTag(byte[] body) {
        try {
            return new EntityTag(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body), 0, 16));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
