package io.tidemark.faults;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** One request of the fuzz run, and what it must get back. */
record FuzzCase(String kind, String method, String path, Map<String, String> headers, byte[] body, Expect expect,
        List<String> messageIds, Set<Integer> rejectedIndexes) {

    /** The contract a response is checked against. */
    enum Expect {
        /** Bad input: a 4xx with an application/problem+json body. */
        PROBLEM,
        /**
         * Rejected by the HTTP server layer before any application code runs (Vert.x codec limits on
         * the header block and request line, Vert.x Web path decoding, Quarkus' body-size limit):
         * a 4xx; that layer writes no problem body, which the run reports as a known gap.
         */
        TRANSPORT_4XX,
        /** A valid call: a 2xx, and every messageId stored exactly once. */
        ACCEPTED,
        /** Odd but arguably valid: either a 4xx problem, or a 2xx and then stored exactly once. */
        EITHER,
        /** A batch with some bad events: a 2xx listing exactly the bad indexes; the good ones stored once. */
        PARTIAL_BATCH,
        /** An import with some bad lines: a 2xx listing exactly the bad line numbers; the good ones stored once. */
        PARTIAL_IMPORT
    }

    /** For failure messages: the kind, the headers and the start of the body. */
    String describe() {
        String text = body == null ? "<no body>" : new String(body, 0, Math.min(body.length, 300), StandardCharsets.ISO_8859_1);
        Map<String, String> shown = new java.util.LinkedHashMap<>();
        headers.forEach((k, v) -> shown.put(k, v.length() > 80 ? v.substring(0, 80) + "...(" + v.length() + " chars)" : v));
        return kind + " " + method + " " + (path.length() > 120 ? path.substring(0, 120) + "..." : path) + " expect " + expect
                + " headers " + (shown.size() > 6 ? shown.size() + " headers" : shown)
                + " body(" + (body == null ? 0 : body.length) + " bytes) " + text.replaceAll("[^\\x20-\\x7e]", "?");
    }

    @Override
    public String toString() {
        return describe();
    }
}
