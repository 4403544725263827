package io.tidemark.bulk.mapping;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * JSON trees whose numbers are what the text said: decimals as {@code BigDecimal}, never rounded to a
 * double, so {@code 129.90} and a 30-digit amount reach ingest digit for digit.
 */
public final class ExactJson {

    public static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);
    public static final ObjectMapper TREES = new ObjectMapper().setNodeFactory(NODES)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private ExactJson() {
    }
}
