package io.tidemark.bench;

/** One area's benchmark: measures its figures and each figure's baseline in the same run. */
public interface Benchmark {

    /** The name {@code bench/run} selects it by: ingest, dedup, mart. */
    String name();

    void run(BenchContext ctx) throws Exception;
}
