package io.tidemark.ingest.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponses;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** {@code GET /projects/{writeKey}/settings}: where analytics-kotlin and the other mobile SDKs find their settings. */
@Path("/projects")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "SDK settings", description = "What Segment's SDKs fetch at start-up; points them at this ingest")
@APIResponses({
        @APIResponse(responseCode = "200", description = "The settings document; cacheable (Cache-Control, ETag)"),
        @APIResponse(responseCode = "304", description = "Unchanged since the ETag in If-None-Match"),
        @APIResponse(responseCode = "404", description = "Unknown write key")
})
public class MobileSettingsResource {

    private final SettingsAnswer answer;

    public MobileSettingsResource(SettingsAnswer answer) {
        this.answer = answer;
    }

    @GET
    @Path("/{writeKey}/settings")
    @Operation(summary = "Settings for the mobile SDKs (analytics-kotlin, analytics-swift), whose cdnHost is this ingest")
    public Response settings(@PathParam("writeKey") String writeKey, @Context UriInfo uri, @Context Request request)
            throws JsonProcessingException {
        return answer.answer(writeKey, uri, request);
    }
}
