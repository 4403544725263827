package io.tidemark.ingest.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Uni;
import io.tidemark.event.EventType;
import io.tidemark.ingest.model.TrackingResponse;
import io.tidemark.ingest.service.EventCollector;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;

/** The Segment HTTP Tracking API. */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
public class TrackingResource {

    private final EventCollector collector;
    private final ObjectMapper mapper;

    public TrackingResource(EventCollector collector, ObjectMapper mapper) {
        this.collector = collector;
        this.mapper = mapper;
    }

    /** Records an action a user performed; answers only after Kafka acknowledged the event. */
    @POST
    @Path("/track")
    public Uni<TrackingResponse> track(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, byte[] body) {
        return collector.collect(EventType.TRACK, authorization, readJson(body)).replaceWith(TrackingResponse.OK);
    }

    /** Parsed here rather than bound by JAX-RS so that malformed JSON gets our problem body. */
    private JsonNode readJson(byte[] body) {
        if (body == null || body.length == 0) {
            throw new ProblemException(400, "malformed-json", "Malformed JSON", "the request body is empty", "body");
        }
        try {
            return mapper.readTree(body);
        } catch (JsonProcessingException e) {
            throw new ProblemException(400, "malformed-json", "Malformed JSON",
                    "the request body is not valid JSON: " + e.getOriginalMessage(), "body");
        } catch (java.io.IOException e) {
            throw new ProblemException(400, "malformed-json", "Malformed JSON", "the request body could not be read", "body");
        }
    }
}
