package io.tidemark.mart.layout;

/**
 * The Parquet format the exporter writes a day's files in: the format version and the zstd level.
 * Version 2 (data pages v2, delta encodings for timestamps and strings) at level 1 wrote a sorted day
 * 11-18 % faster than version 1 at zstd's default level 3, in files 5 % larger to 10 % smaller
 * (mart-service/README.md, "Parquet format"); version 1 is for readers that predate version 2's encodings.
 */
public record ParquetFormat(Version version, int zstdLevel) {

    /** DuckDB's {@code PARQUET_VERSION} values. */
    public enum Version {
        V1, V2
    }

    /** zstd's levels, as DuckDB takes them. */
    static final int MIN_LEVEL = 1;
    static final int MAX_LEVEL = 22;

    public ParquetFormat {
        if (version == null) {
            throw new IllegalArgumentException("tidemark.mart.export.parquet.version: V1 or V2");
        }
        if (zstdLevel < MIN_LEVEL || zstdLevel > MAX_LEVEL) {
            throw new IllegalArgumentException("tidemark.mart.export.parquet.zstd-level: " + zstdLevel + " is not in "
                    + MIN_LEVEL + ".." + MAX_LEVEL);
        }
    }

    /** The options of a DuckDB {@code COPY ... TO} that writes this format, without the parentheses. */
    public String copyOptions() {
        return "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL " + zstdLevel + ", PARQUET_VERSION " + version;
    }
}
