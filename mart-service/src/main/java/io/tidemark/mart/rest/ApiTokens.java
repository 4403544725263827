package io.tidemark.mart.rest;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigUtils;
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

    /** How the deployment example (deploy/k8s/base/mart-secrets.properties-example) marks a token to replace. */
    static final String PLACEHOLDER_PREFIX = "CHANGE-ME";
    /** The demo token, which only the {@code local} and {@code test} profiles define. */
    static final String DEMO_TOKEN = "dev-read-token";

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
     * Without a token the API would answer nobody, and a blank token, the example's placeholder or the
     * README's demo token would be guessable: production (where no demo token exists) refuses to start
     * instead, naming the setting. The demo token is fine only where the profile that defines it is active.
     */
    void check(@Observes StartupEvent event) {
        boolean demoTokenAllowed = ConfigUtils.isProfileActive("local") || ConfigUtils.isProfileActive("test");
        refusal(tokens, demoTokenAllowed).ifPresent(reason -> {
            throw new IllegalStateException(reason);
        });
    }

    /** Why these tokens must not be served, if they must not. */
    static Optional<String> refusal(Map<String, MartConfig.Token> tokens, boolean demoTokenAllowed) {
        if (tokens.isEmpty()) {
            return Optional.of("no dashboard API token is configured: set tidemark.mart.tokens.<name>.token "
                    + "(and .sources, .operator); tidemark.mart.read-tokens is no longer read");
        }
        for (Map.Entry<String, MartConfig.Token> entry : tokens.entrySet()) {
            String setting = "tidemark.mart.tokens." + entry.getKey();
            MartConfig.Token token = entry.getValue();
            if (token.token().isBlank()) {
                return Optional.of(setting + ".token is blank");
            }
            if (token.token().startsWith(PLACEHOLDER_PREFIX)) {
                return Optional.of(setting + ".token still holds the example's placeholder " + PLACEHOLDER_PREFIX
                        + "...: set a real token in the deployment's secret");
            }
            if (token.token().equals(DEMO_TOKEN) && !demoTokenAllowed) {
                return Optional.of(setting + ".token is the local demo token " + DEMO_TOKEN
                        + ", which the README publishes: set a token of your own");
            }
            if (token.sources().isEmpty()) {
                return Optional.of(setting + ".sources names no source; use * for all");
            }
        }
        return Optional.empty();
    }
}
