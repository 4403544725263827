package io.tidemark.schema;

import java.util.List;

/**
 * A service that owns tables in the keyspace. Each owner's migrations live under
 * {@code cassandra/<name>/} and are versioned on their own, in the table {@code <name>_schema_migration},
 * so one owner's change never waits for or renumbers another's.
 */
public enum SchemaOwner {
    DEDUP("dedup"),
    MART("mart"),
    BULK_LOADER("bulk_loader");

    private final String name;

    SchemaOwner(String name) {
        this.name = name;
    }

    /** The owner's name: its migration directory and the prefix of its history table. */
    public String ownerName() {
        return name;
    }

    /** The classpath directory of the owner's {@code <version>_<name>.cql} scripts. */
    public String scriptPath() {
        return "cassandra/" + name;
    }

    /** In the order they are applied: mart reads dedup's tables, so dedup's come first. */
    public static List<SchemaOwner> inOrder() {
        return List.of(values());
    }
}
