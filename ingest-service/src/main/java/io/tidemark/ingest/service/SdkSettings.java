package io.tidemark.ingest.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tidemark.ingest.config.IngestConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Optional;

/**
 * The settings document Segment's SDKs fetch before they send anything. Its {@code Segment.io}
 * integration points them back at this ingest, and it enables no other destination: the events go
 * to Tidemark and nowhere else, and the SDKs need to be told only one host.
 */
@ApplicationScoped
public class SdkSettings {

    private final WriteKeyAuthenticator authenticator;
    private final IngestConfig.Sdk config;
    private final ObjectMapper json;

    public SdkSettings(WriteKeyAuthenticator authenticator, IngestConfig config, ObjectMapper json) {
        this.authenticator = authenticator;
        this.config = config.sdk();
        this.json = json;
    }

    /**
     * @param requestHost the host (and port) the settings request was addressed to
     * @param requestScheme the scheme it came with
     * @return the document, or empty when the write key is unknown
     */
    public Optional<ObjectNode> forWriteKey(String writeKey, String requestHost, String requestScheme) {
        if (authenticator.source(null, writeKey).isEmpty()) {
            return Optional.empty();
        }
        ObjectNode settings = json.createObjectNode();
        ObjectNode segment = settings.putObject("integrations").putObject("Segment.io");
        segment.put("apiKey", writeKey);
        // The SDKs append the call's path to apiHost: analytics-next /t, /b…, analytics-kotlin /b.
        segment.put("apiHost", config.apiHost().orElse(requestHost) + "/v1");
        segment.put("protocol", config.protocol().orElse(requestScheme));
        segment.putArray("unbundledIntegrations");
        segment.put("addBundledMetadata", false);
        // keepalive: a call made just before the page is left still reaches ingest (analytics-next).
        segment.putObject("deliveryStrategy").put("strategy", "standard").putObject("config").put("keepalive", true);
        ObjectNode plan = settings.putObject("plan");
        for (String call : new String[] {"track", "identify", "group"}) {
            plan.putObject(call).putObject("__default").put("enabled", true).putObject("integrations");
        }
        settings.putObject("edgeFunction");
        settings.put("analyticsNextEnabled", true);
        settings.putObject("middlewareSettings");
        settings.putObject("enabledMiddleware");
        // Sample rate 0: analytics-next would otherwise post its own usage metrics to Segment.
        settings.putObject("metrics").put("sampleRate", 0);
        settings.put("legacyVideoPluginsEnabled", false);
        settings.putArray("remotePlugins");
        return Optional.of(settings);
    }
}
