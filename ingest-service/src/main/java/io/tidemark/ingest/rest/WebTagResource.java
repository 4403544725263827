package io.tidemark.ingest.rest;

import io.tidemark.ingest.config.IngestConfig;
import io.tidemark.ingest.service.WriteKeyAuthenticator;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.EntityTag;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponses;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The web tag at the path Segment's copy-paste snippet loads it from,
 * {@code /analytics.js/v1/{writeKey}/analytics.min.js}: analytics-next's standalone bundle, packaged
 * into this service at build time from its npm release. Its lazy chunks are static resources under
 * {@code /analytics-next/bundles/}, where the bundle looks for them on its CDN host.
 */
@Path("/analytics.js/v1")
@Tag(name = "Web tag", description = "Segment's browser SDK (analytics-next), served first-party")
public class WebTagResource {

    static final String BUNDLE = "META-INF/resources/analytics-next/bundles/standalone.js";
    private static final String JAVASCRIPT = "application/javascript; charset=utf-8";

    private final WriteKeyAuthenticator authenticator;
    private final byte[] bundle;
    private final EntityTag tag;
    private final CacheControl cacheControl;

    public WebTagResource(WriteKeyAuthenticator authenticator, IngestConfig config) {
        this.authenticator = authenticator;
        this.bundle = read(BUNDLE);
        this.tag = SettingsAnswer.entityTag(bundle);
        this.cacheControl = new CacheControl();
        cacheControl.setNoTransform(false);
        cacheControl.setMaxAge((int) config.sdk().tagMaxAge().toSeconds());
    }

    @GET
    @Path("/{writeKey}/analytics.min.js")
    @Operation(summary = "The browser SDK for a write key (the same file for every known key)")
    @APIResponses({
            @APIResponse(responseCode = "200", description = "application/javascript; cacheable (Cache-Control, ETag)"),
            @APIResponse(responseCode = "304", description = "Unchanged since the ETag in If-None-Match"),
            @APIResponse(responseCode = "404", description = "Unknown write key")
    })
    public Response tag(@PathParam("writeKey") String writeKey, @Context Request request) {
        if (authenticator.source(null, writeKey).isEmpty()) {
            throw new ProblemException(404, "unknown-write-key", "Unknown write key", "no source has this write key",
                    "writeKey");
        }
        Response.ResponseBuilder unchanged = request.evaluatePreconditions(tag);
        if (unchanged != null) {
            return unchanged.cacheControl(cacheControl).tag(tag).build();
        }
        return Response.ok(bundle, JAVASCRIPT).cacheControl(cacheControl).tag(tag).build();
    }

    private static byte[] read(String resource) {
        try (InputStream in = Thread.currentThread().getContextClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing: the build packages it from npm");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
