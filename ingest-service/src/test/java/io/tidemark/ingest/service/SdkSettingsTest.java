package io.tidemark.ingest.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.ingest.config.IngestConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SdkSettingsTest {

    private static SdkSettings settings(Optional<String> apiHost, Optional<String> protocol) {
        IngestConfig.Sdk sdk = new IngestConfig.Sdk() {
            @Override
            public Optional<String> apiHost() {
                return apiHost;
            }

            @Override
            public Optional<String> protocol() {
                return protocol;
            }

            @Override
            public Duration settingsMaxAge() {
                return Duration.ofMinutes(5);
            }

            @Override
            public Duration tagMaxAge() {
                return Duration.ofHours(1);
            }

            @Override
            public int maxLibraries() {
                return 100;
            }
        };
        IngestConfig config = WriteKeyAuthenticatorTest.config(Map.of("web", List.of("web-key")), sdk);
        return new SdkSettings(new WriteKeyAuthenticator(config), config, new ObjectMapper());
    }

    @Test
    void withoutConfigurationTheSdksAreSentBackToTheHostAndSchemeTheyAsked() {
        JsonNode segment = settings(Optional.empty(), Optional.empty())
                .forWriteKey("web-key", "127.0.0.1:8080", "http").orElseThrow().get("integrations").get("Segment.io");
        assertEquals("127.0.0.1:8080/v1", segment.get("apiHost").asText());
        assertEquals("http", segment.get("protocol").asText());
        assertEquals("web-key", segment.get("apiKey").asText());
    }

    @Test
    void behindAProxyThePublicNameFromConfigurationWinsOverTheRequest() {
        JsonNode document = settings(Optional.of("collect.example.com"), Optional.of("https"))
                .forWriteKey("web-key", "10.0.0.7:8080", "http").orElseThrow();
        JsonNode segment = document.get("integrations").get("Segment.io");
        assertEquals("collect.example.com/v1", segment.get("apiHost").asText());
        assertEquals("https", segment.get("protocol").asText());
        assertEquals(1, document.get("integrations").size(), "no destination but this ingest");
    }

    @Test
    void anUnknownWriteKeyHasNoSettings() {
        assertTrue(settings(Optional.empty(), Optional.empty()).forWriteKey("nope", "h", "http").isEmpty());
    }
}
