package io.tidemark.bulk.mapping;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** What became of one source row: an event ready to send, or the reason it cannot be one. */
public sealed interface MappedRow {

    /** The row's primary key as reported: the key columns' values joined by '/'. */
    String key();

    record Event(String key, String messageId, ObjectNode event) implements MappedRow {
    }

    /** An event written straight into a request body, so there is no tree of it. */
    record Written(String key, String messageId) implements MappedRow {
    }

    record Unmappable(String key, String field, String reason) implements MappedRow {
    }
}
