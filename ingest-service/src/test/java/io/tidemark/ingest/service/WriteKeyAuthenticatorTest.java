package io.tidemark.ingest.service;

import io.tidemark.ingest.config.IngestConfig;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

public class WriteKeyAuthenticatorTest {

    private final WriteKeyAuthenticator authenticator = new WriteKeyAuthenticator(config(Map.of(
            "web", List.of("key-web-1", "key-web-2"), "ios", List.of("key-ios"))));

    private static String basic(String user) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void basicUserNameIsTheWriteKey() {
        assertEquals(Optional.of("web"), authenticator.source(basic("key-web-2"), null));
        assertEquals(Optional.of("ios"), authenticator.source("basic " + Base64.getEncoder()
                .encodeToString("key-ios".getBytes(StandardCharsets.UTF_8)), null));
    }

    @Test
    void writeKeyInTheBodyIsAccepted() {
        assertEquals(Optional.of("ios"), authenticator.source(null, "key-ios"));
    }

    @Test
    void unknownMissingOrBrokenKeysAuthenticateNothing() {
        assertEquals(Optional.empty(), authenticator.source(basic("nope"), null));
        assertEquals(Optional.empty(), authenticator.source(null, null));
        assertEquals(Optional.empty(), authenticator.source("Basic %%%", null));
        assertEquals(Optional.empty(), authenticator.source("Bearer key-web-1", null));
        assertEquals(Optional.empty(), authenticator.source(basic(""), null));
    }

    @Test
    void theExamplesPlaceholderKeyRefusesTheStartNamingTheSetting() {
        Optional<String> refusal = WriteKeyAuthenticator.refusal(
                Map.of("web", List.of("key-web-1", "CHANGE-ME-web-write-key")), true);
        assertTrue(refusal.orElseThrow().contains("tidemark.ingest.sources.web.write-keys"), refusal.get());
    }

    @Test
    void noSourceRefusesTheStartNamingTheSetting() {
        assertTrue(WriteKeyAuthenticator.refusal(Map.of(), true).orElseThrow().contains("tidemark.ingest.sources."));
    }

    @Test
    void aBlankKeyRefusesTheStart() {
        assertTrue(WriteKeyAuthenticator.refusal(Map.of("web", List.of(" ")), true).isPresent());
    }

    @Test
    void theDemoKeyRefusesTheStartOutsideTheProfilesThatDefineIt() {
        Map<String, List<String>> demo = Map.of("dev", List.of("dev-write-key"));
        assertTrue(WriteKeyAuthenticator.refusal(demo, false).orElseThrow().contains("tidemark.ingest.sources.dev.write-keys"));
        assertEquals(Optional.empty(), WriteKeyAuthenticator.refusal(demo, true));
    }

    @Test
    void realKeysStart() {
        assertEquals(Optional.empty(), WriteKeyAuthenticator.refusal(
                Map.of("web", List.of("k8Jx2-real"), "ios", List.of("another-key")), false));
    }

    public static IngestConfig config(Map<String, List<String>> keysBySource) {
        return config(keysBySource, null);
    }

    /** The same, with the settings SDKs are told ({@code sdk}; null where a test never asks for them). */
    public static IngestConfig config(Map<String, List<String>> keysBySource, IngestConfig.Sdk sdk) {
        return new IngestConfig() {
            @Override
            public Map<String, SourceConfig> sources() {
                Map<String, SourceConfig> sources = new java.util.HashMap<>();
                keysBySource.forEach((source, keys) -> sources.put(source, new SourceConfig() {
                    @Override
                    public List<String> writeKeys() {
                        return keys;
                    }

                    @Override
                    public Optional<RateLimit> rateLimit() {
                        return Optional.empty();
                    }
                }));
                return sources;
            }

            @Override
            public Duration futureTolerance() {
                return Duration.ofMinutes(10);
            }

            @Override
            public Duration ackTimeout() {
                return Duration.ofSeconds(10);
            }

            @Override
            public int retryAfterSeconds() {
                return 5;
            }

            @Override
            public int maxIdLength() {
                return 256;
            }

            @Override
            public ImportConfig importing() {
                throw new UnsupportedOperationException("not needed to authenticate");
            }

            @Override
            public int maxEventBytes() {
                return 32 * 1024;
            }

            @Override
            public int maxRequestBytes() {
                return 500 * 1024;
            }

            @Override
            public int maxInFlightEvents() {
                return 1000;
            }

            @Override
            public io.quarkus.runtime.configuration.MemorySize maxInFlightBytes() {
                return new io.quarkus.runtime.configuration.MemorySize(java.math.BigInteger.valueOf(1 << 20));
            }

            @Override
            public io.quarkus.runtime.configuration.MemorySize maxBufferedRequestBytes() {
                return new io.quarkus.runtime.configuration.MemorySize(java.math.BigInteger.valueOf(1 << 20));
            }

            @Override
            public Duration requestReadTimeout() {
                return Duration.ofSeconds(60);
            }

            @Override
            public Duration maxEventAge() {
                return Duration.ofDays(400);
            }

            @Override
            public Duration clockTolerance() {
                return Duration.ofSeconds(5);
            }

            @Override
            public java.util.Set<String> batchStampingLibraries() {
                return java.util.Set.of("analytics-kotlin");
            }

            @Override
            public Sdk sdk() {
                if (sdk == null) {
                    throw new UnsupportedOperationException("not needed to authenticate or parse");
                }
                return sdk;
            }
        };
    }
}
