package io.tidemark.event;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.datatype.jsr310.deser.InstantDeserializer;

import java.io.IOException;
import java.time.Instant;

/**
 * Reads the instants of a record by {@link Iso8601#parseCommon} and hands any other shape to Jackson's
 * own {@link InstantDeserializer}, so every text decodes to what it decoded to before. Jackson's goes
 * through java.time's formatter, whose parse state (a map of fields, boxed numbers) was a quarter of
 * what dedup allocated per record.
 */
final class CommonInstantDeserializer extends StdScalarDeserializer<Instant> {

    private final transient JsonDeserializer<Instant> standard;

    CommonInstantDeserializer(JsonDeserializer<Instant> standard) {
        super(Instant.class);
        this.standard = standard;
    }

    @Override
    public Instant deserialize(JsonParser parser, DeserializationContext context) throws IOException {
        if (parser.hasToken(JsonToken.VALUE_STRING)) {
            Instant common = Iso8601.parseCommon(parser.getText());
            if (common != null) {
                return common;
            }
        }
        return standard.deserialize(parser, context);
    }
}
