package io.tidemark.mart.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.util.Set;

/** Settings of the dashboard API. */
@ConfigMapping(prefix = "tidemark.mart")
public interface MartConfig {

    /** Bearer tokens that may read metrics; secrets in production. */
    Set<String> readTokens();

    /** The longest date range one query may ask for, in days. */
    @WithDefault("366")
    int maxRangeDays();
}
