package io.tidemark.ingest.service;

import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.tidemark.event.RawJsonObject;

/**
 * An event's {@code context} kept as the bytes it arrived in ({@link RawJsonObject}), with the one thing
 * ingest reads from it, the client library, taken while the bytes were checked. SDK contexts (app, device,
 * page, user agent) are the largest part of most events, and only {@code library} is read.
 */
final class RawContext extends POJONode {

    private final ClientLibrary library;

    RawContext(RawValue bytes, ClientLibrary library) {
        super(bytes);
        this.library = library;
    }

    ClientLibrary library() {
        return library;
    }
}
