package io.tidemark.mart.rest;

import java.util.Set;

/** A configured dashboard API token: its name (for logs), the sources it reads, and whether it may run exports. */
public record ApiToken(String name, Set<String> sources, boolean operator) {

    /** In {@code sources}: the token reads every source, including those that appear later. */
    public static final String ALL_SOURCES = "*";

    public boolean reads(String source) {
        return sources.contains(ALL_SOURCES) || sources.contains(source);
    }
}
