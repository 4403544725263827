package io.tidemark.mart.rest;

import io.tidemark.mart.config.MartConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApiTokensTest {

    @Test
    void theExamplesPlaceholderTokenRefusesTheStartNamingTheSetting() {
        Optional<String> refusal = ApiTokens.refusal(Map.of("operator", token("CHANGE-ME-operator-token")), true);
        assertTrue(refusal.orElseThrow().contains("tidemark.mart.tokens.operator.token"), refusal.get());
    }

    @Test
    void noTokenOrABlankOneRefusesTheStart() {
        assertTrue(ApiTokens.refusal(Map.of(), true).orElseThrow().contains("tidemark.mart.tokens"));
        assertTrue(ApiTokens.refusal(Map.of("web", token("  ")), true).orElseThrow().contains("tidemark.mart.tokens.web.token"));
    }

    @Test
    void theDemoTokenRefusesTheStartOutsideTheProfilesThatDefineIt() {
        Map<String, MartConfig.Token> demo = Map.of("demo", token("dev-read-token"));
        assertTrue(ApiTokens.refusal(demo, false).orElseThrow().contains("tidemark.mart.tokens.demo.token"));
        assertEquals(Optional.empty(), ApiTokens.refusal(demo, true));
    }

    @Test
    void realTokensStart() {
        assertEquals(Optional.empty(), ApiTokens.refusal(Map.of("web", token("q9-real-token")), false));
    }

    private static MartConfig.Token token(String secret) {
        return new MartConfig.Token() {
            @Override
            public String token() {
                return secret;
            }

            @Override
            public Set<String> sources() {
                return Set.of("*");
            }

            @Override
            public boolean operator() {
                return false;
            }
        };
    }
}
