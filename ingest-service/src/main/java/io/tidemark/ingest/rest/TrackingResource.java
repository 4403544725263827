package io.tidemark.ingest.rest;

import io.smallrye.mutiny.Uni;
import io.tidemark.event.EventType;
import io.tidemark.ingest.model.TrackingResponse;
import io.tidemark.ingest.service.EventCollector;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponses;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The Segment HTTP Tracking API. Every call answers only after Kafka acknowledged its events.
 * Bodies are taken as bytes (not bound by JAX-RS) so that gzip, size limits and malformed JSON get
 * our problem answers; a call without {@code messageId} gets a generated one and the flag
 * {@code generated_message_id}, and retries of such a call cannot be recognised as copies.
 */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
@Tag(name = "Tracking API", description = "Segment-compatible collection; HTTP Basic with the write key as user name, or writeKey in the body")
@APIResponses({
        @APIResponse(responseCode = "200", description = "Stored: Kafka acknowledged every accepted event"),
        @APIResponse(responseCode = "400", description = "Malformed JSON or an invalid field (problem+json names it)"),
        @APIResponse(responseCode = "401", description = "Missing or unknown write key"),
        @APIResponse(responseCode = "413", description = "Event over 32 KB or request over 500 KB"),
        @APIResponse(responseCode = "429", description = "The source's rate limit is exceeded; see Retry-After"),
        @APIResponse(responseCode = "503", description = "Kafka cannot take the events now; see Retry-After")
})
public class TrackingResource {

    private final EventCollector collector;
    private final RequestBodyDecoder decoder;

    public TrackingResource(EventCollector collector, RequestBodyDecoder decoder) {
        this.collector = collector;
        this.decoder = decoder;
    }

    @POST
    @Path("/identify")
    @Operation(summary = "Ties a user to their actions and records traits about them")
    public Uni<TrackingResponse> identify(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @HeaderParam(HttpHeaders.CONTENT_ENCODING) String encoding, byte[] body) {
        return collector.collect(EventType.IDENTIFY, authorization, decoder.decode(encoding, body));
    }

    @POST
    @Path("/track")
    @Operation(summary = "Records an action a user performed (event is required)")
    public Uni<TrackingResponse> track(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @HeaderParam(HttpHeaders.CONTENT_ENCODING) String encoding, byte[] body) {
        return collector.collect(EventType.TRACK, authorization, decoder.decode(encoding, body));
    }

    @POST
    @Path("/page")
    @Operation(summary = "Records a page view of a website")
    public Uni<TrackingResponse> page(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @HeaderParam(HttpHeaders.CONTENT_ENCODING) String encoding, byte[] body) {
        return collector.collect(EventType.PAGE, authorization, decoder.decode(encoding, body));
    }

    @POST
    @Path("/screen")
    @Operation(summary = "Records a screen view of a mobile app")
    public Uni<TrackingResponse> screen(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @HeaderParam(HttpHeaders.CONTENT_ENCODING) String encoding, byte[] body) {
        return collector.collect(EventType.SCREEN, authorization, decoder.decode(encoding, body));
    }

    @POST
    @Path("/group")
    @Operation(summary = "Ties a user to a group (account, organisation)")
    public Uni<TrackingResponse> group(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @HeaderParam(HttpHeaders.CONTENT_ENCODING) String encoding, byte[] body) {
        return collector.collect(EventType.GROUP, authorization, decoder.decode(encoding, body));
    }

    @POST
    @Path("/alias")
    @Operation(summary = "Merges a previous identity (previousId) into a user")
    public Uni<TrackingResponse> alias(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @HeaderParam(HttpHeaders.CONTENT_ENCODING) String encoding, byte[] body) {
        return collector.collect(EventType.ALIAS, authorization, decoder.decode(encoding, body));
    }

    @POST
    @Path("/batch")
    @Operation(summary = "Many calls at once: {\"batch\":[...], \"context\", \"sentAt\", \"writeKey\"}; each event needs its type. "
            + "Invalid events are listed under rejected (index, field, reason) and parked on the dead-letter topic; the others are stored.")
    public Uni<TrackingResponse> batch(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @HeaderParam(HttpHeaders.CONTENT_ENCODING) String encoding, byte[] body) {
        return collector.collectBatch(authorization, decoder.decode(encoding, body));
    }

    /**
     * Segment's other names for a batch: {@code /v1/b} (analytics-next in batching mode, analytics-kotlin)
     * and {@code /v1/import} (analytics-java posts every batch to {@code /v1/import/}).
     */
    @POST
    @Path("/{alias: b|import/?}")
    @Operation(summary = "The same as /v1/batch: /v1/b is the browser and mobile SDKs' name for it, /v1/import analytics-java's")
    public Uni<TrackingResponse> batchAlias(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @HeaderParam(HttpHeaders.CONTENT_ENCODING) String encoding, byte[] body) {
        return batch(authorization, encoding, body);
    }

    /** The one-letter paths analytics-next posts single calls to: /v1/i, /v1/t, /v1/p, /v1/s, /v1/g, /v1/a. */
    @POST
    @Path("/{call: [itpsga]}")
    @Operation(summary = "The same as the long path whose initial it is (i = identify, t = track, p = page, s = screen, "
            + "g = group, a = alias); the browser SDK's names")
    public Uni<TrackingResponse> shortCall(@PathParam("call") String call,
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @HeaderParam(HttpHeaders.CONTENT_ENCODING) String encoding, byte[] body) {
        return collector.collect(byInitial(call.charAt(0)), authorization, decoder.decode(encoding, body));
    }

    private static EventType byInitial(char initial) {
        return switch (initial) {
            case 'i' -> EventType.IDENTIFY;
            case 't' -> EventType.TRACK;
            case 'p' -> EventType.PAGE;
            case 's' -> EventType.SCREEN;
            case 'g' -> EventType.GROUP;
            case 'a' -> EventType.ALIAS;
            default -> throw new IllegalArgumentException("no call type has the initial " + initial);
        };
    }
}
