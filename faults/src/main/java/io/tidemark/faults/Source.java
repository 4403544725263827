package io.tidemark.faults;

/** A Tidemark source the suite writes to, with the write key ingest is started with. */
record Source(String id, String writeKey) {
}
