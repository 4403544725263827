package io.tidemark.mart.rest;

import io.quarkus.runtime.StartupEvent;
import io.tidemark.mart.config.MartConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Optional;

/** The configured Bearer tokens of the dashboard API ({@code tidemark.mart.tokens.<name>.*}). */
@ApplicationScoped
public class ApiTokens {

    private final Map<String, MartConfig.Token> tokens;

    public ApiTokens(MartConfig config) {
        this.tokens = config.tokens();
    }

    /** The token a caller presented, if it is one of the configured ones. */
    public Optional<ApiToken> find(String presented) {
        byte[] given = presented.getBytes(StandardCharsets.UTF_8);
        for (Map.Entry<String, MartConfig.Token> entry : tokens.entrySet()) {
            // Constant-time per comparison, so response times do not tell how much of a guess was right.
            if (MessageDigest.isEqual(given, entry.getValue().token().getBytes(StandardCharsets.UTF_8))) {
                MartConfig.Token token = entry.getValue();
                return Optional.of(new ApiToken(entry.getKey(), token.sources(), token.operator()));
            }
        }
        return Optional.empty();
    }

    /**
     * Without a token the API would answer nobody, and a blank one would be guessable: production
     * (where no demo token exists) refuses to start instead, naming the setting.
     */
    void check(@Observes StartupEvent event) {
        if (tokens.isEmpty()) {
            throw new IllegalStateException("no dashboard API token is configured: set tidemark.mart.tokens.<name>.token "
                    + "(and .sources, .operator); tidemark.mart.read-tokens is no longer read");
        }
        tokens.forEach((name, token) -> {
            if (token.token().isBlank()) {
                throw new IllegalStateException("tidemark.mart.tokens." + name + ".token is blank");
            }
            if (token.sources().isEmpty()) {
                throw new IllegalStateException("tidemark.mart.tokens." + name + ".sources names no source; use * for all");
            }
        });
    }
}
