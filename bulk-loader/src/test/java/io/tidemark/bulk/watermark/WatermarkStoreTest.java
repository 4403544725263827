package io.tidemark.bulk.watermark;

import io.tidemark.bulk.config.JobConfig;
import io.tidemark.bulk.config.JobConfigException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The login to the watermark's Cassandra; a login against a real cluster is CassandraLoginIT's (e2e-tests). */
class WatermarkStoreTest {

    @Test
    void aUsernameWithoutItsPasswordVariableStopsTheRunNamingTheVariable() {
        JobConfig.Watermark watermark = new JobConfig.Watermark("127.0.0.1:1", null, null, "loader",
                "TIDEMARK_TEST_VARIABLE_NOBODY_SETS");
        JobConfigException missing = assertThrows(JobConfigException.class, () -> WatermarkStore.connect(watermark));
        assertEquals("watermark.password-env: environment variable TIDEMARK_TEST_VARIABLE_NOBODY_SETS is not set"
                + " (watermark.username is loader)", missing.getMessage());
    }

    @Test
    void thePasswordVariableHasADefaultAndABlankUsernameIsRefused() {
        assertEquals("TIDEMARK_CASSANDRA_PASSWORD", new JobConfig.Watermark(null, null, null, "loader", null).passwordEnv());
        JobConfigException blank = assertThrows(JobConfigException.class,
                () -> new JobConfig.Watermark(null, null, null, " ", null));
        assertEquals("watermark.username: must not be blank", blank.getMessage());
    }
}
