package io.tidemark.ingest.service;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import io.tidemark.ingest.service.rejection.MalformedRequestException;

/**
 * Reads request bodies into JSON. A batch is read as a token stream so that each event's size in
 * bytes is known without writing it out again (the 32 KB limit is per event); each event, and a single
 * call's body, through {@link EventObjectReader}, which keeps the parts ingest passes on unread as bytes.
 */
@ApplicationScoped
public class TrackingRequestReader {

    /** One element of {@code batch}, with the number of bytes it took in the request. */
    public record BatchElement(JsonNode message, long bytes) {
    }

    /**
     * The {@code /v1/batch} envelope; {@code defaultsBytes} is what its context and integrations took in
     * the request, the most that merging them can add to each event.
     */
    public record Batch(List<BatchElement> elements, JsonNode context, JsonNode integrations, JsonNode sentAt,
            long defaultsBytes) {
    }

    private final ObjectMapper mapper;
    private final EventObjectReader events;

    public TrackingRequestReader(ObjectMapper mapper) {
        this.mapper = mapper;
        this.events = new EventObjectReader(mapper);
    }

    /**
     * A single call's body, one JSON value. What follows the value is not read, as
     * ObjectMapper.readTree(byte[]) never read it.
     */
    public JsonNode single(byte[] body) {
        return value(body, "the request body", false);
    }

    /**
     * {@code unit} (an MQTT message, an import line) as one JSON value with nothing after it. Unlike a
     * call's body, whose tail was never read, what follows the value here is refused: a device or file
     * putting two events in one unit would have the second dropped without a word.
     */
    public JsonNode whole(byte[] unit, String what) {
        return value(unit, what, true);
    }

    private JsonNode value(byte[] bytes, String what, boolean refuseTail) {
        try (JsonParser parser = parserOf(bytes)) {
            if (parser.nextToken() == null) {
                throw new MalformedRequestException("body", what + " is empty");
            }
            JsonNode value = events.read(parser, bytes);
            if (refuseTail && parser.nextToken() != null) {
                throw new MalformedRequestException("body", what + " has content after its JSON value: it must be one"
                        + " JSON value");
            }
            return value;
        } catch (JsonProcessingException e) {
            throw new MalformedRequestException("body", what + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new MalformedRequestException("body", what + " could not be read");
        }
    }

    public Batch batch(byte[] body) {
        List<BatchElement> elements = null;
        JsonNode context = null;
        JsonNode integrations = null;
        JsonNode sentAt = null;
        long defaultsBytes = 0;
        try (JsonParser parser = parserOf(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new MalformedRequestException("body", "the request body must be a JSON object with a batch array");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                long from = parser.currentTokenLocation().getByteOffset();
                switch (field) {
                    case "batch" -> elements = elements(parser, value, body);
                    case "context" -> {
                        context = mapper.readTree(parser);
                        defaultsBytes += parser.currentLocation().getByteOffset() - from;
                    }
                    case "integrations" -> {
                        integrations = mapper.readTree(parser);
                        defaultsBytes += parser.currentLocation().getByteOffset() - from;
                    }
                    case "sentAt" -> sentAt = mapper.readTree(parser);
                    default -> parser.skipChildren();
                }
            }
            if (parser.nextToken() != null) {
                throw new MalformedRequestException("body", "the request body has content after its JSON object");
            }
        } catch (JsonProcessingException e) {
            throw notJson(e);
        } catch (IOException e) {
            throw new MalformedRequestException("body", "the request body could not be read");
        }
        if (elements == null) {
            throw new MalformedRequestException("batch", "batch: an array of events is required");
        }
        return new Batch(elements, context, integrations, sentAt, defaultsBytes);
    }

    /**
     * The top-level {@code writeKey} of a JSON object body, or null: a token scan that skips every other
     * value whole, so a call is authenticated before any of it is built into a tree.
     */
    public String writeKey(byte[] body) {
        try (JsonParser parser = parserOf(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if (field.equals("writeKey")) {
                    return value == JsonToken.VALUE_STRING ? parser.getText() : null;
                }
                parser.skipChildren();
            }
            return null;
        } catch (JsonProcessingException e) {
            throw notJson(e);
        } catch (IOException e) {
            throw new MalformedRequestException("body", "the request body could not be read");
        }
    }

    private List<BatchElement> elements(JsonParser parser, JsonToken start, byte[] body) throws IOException {
        if (start != JsonToken.START_ARRAY) {
            throw new MalformedRequestException("batch", "batch: must be an array of events");
        }
        List<BatchElement> elements = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
            long from = parser.currentTokenLocation().getByteOffset();
            JsonNode message = events.read(parser, body);
            long to = parser.currentLocation().getByteOffset();
            elements.add(new BatchElement(message, to - from));
        }
        return elements;
    }

    /**
     * A parser of {@code body}, refused unless Jackson reads it as UTF-8, as RFC 8259 asks of JSON
     * exchanged between systems and as every SDK sends it. Every size this class reports, on which the
     * per-event limit and the check of a batch context's copies rest, is counted in bytes, and Jackson
     * reads a body it detects as UTF-16 or UTF-32 as characters, whose tokens have no byte offset: such a
     * body would measure 0 bytes, whatever it holds.
     */
    private JsonParser parserOf(byte[] body) throws IOException {
        requireContent(body);
        JsonParser parser = mapper.getFactory().createParser(body);
        if (parser.currentLocation().getByteOffset() < 0) {
            parser.close();
            throw new MalformedRequestException("body", "the request body must be JSON encoded in UTF-8");
        }
        return parser;
    }

    private static void requireContent(byte[] body) {
        if (body == null || body.length == 0) {
            throw new MalformedRequestException("body", "the request body is empty");
        }
    }

    private static MalformedRequestException notJson(JsonProcessingException e) {
        return new MalformedRequestException("body", "the request body is not valid JSON: " + e.getOriginalMessage());
    }
}
