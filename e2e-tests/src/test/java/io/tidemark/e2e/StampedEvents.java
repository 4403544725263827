package io.tidemark.e2e;

import com.segment.analytics.kotlin.core.Analytics;
import com.segment.analytics.kotlin.core.BaseEvent;
import com.segment.analytics.kotlin.core.IdentifyEvent;
import com.segment.analytics.kotlin.core.ScreenEvent;
import com.segment.analytics.kotlin.core.Settings;
import com.segment.analytics.kotlin.core.TrackEvent;
import com.segment.analytics.kotlin.core.platform.Plugin;
import kotlinx.serialization.json.JsonElement;
import kotlinx.serialization.json.JsonElementKt;
import kotlinx.serialization.json.JsonObject;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The messageId and timestamp analytics-kotlin gave each call, as its destinations received the event,
 * by the {@code call} property (or trait) the test put in the call to find it again.
 */
final class StampedEvents implements Plugin {

    static final String CALL = "call";

    /** What the SDK stamped on one call. */
    record Stamped(String messageId, Instant timestamp) {
    }

    private final Map<String, Stamped> byCall = new ConcurrentHashMap<>();
    private Analytics analytics;

    Map<String, Stamped> byCall() {
        return Map.copyOf(byCall);
    }

    @Override
    public Type getType() {
        // After the destinations: the event is in the SDK's batch file by now, with its final ids.
        return Type.After;
    }

    @Override
    public BaseEvent execute(BaseEvent event) {
        JsonObject fields = event instanceof TrackEvent track ? track.getProperties()
                : event instanceof ScreenEvent screen ? screen.getProperties()
                : event instanceof IdentifyEvent identify ? identify.getTraits() : null;
        JsonElement call = fields == null ? null : fields.get(CALL);
        if (call != null) {
            byCall.put(JsonElementKt.getJsonPrimitive(call).getContent(),
                    new Stamped(event.getMessageId(), Instant.parse(event.getTimestamp())));
        }
        return event;
    }

    @Override
    public Analytics getAnalytics() {
        return analytics;
    }

    @Override
    public void setAnalytics(Analytics analytics) {
        this.analytics = analytics;
    }

    @Override
    public void setup(Analytics analytics) {
        this.analytics = analytics;
    }

    @Override
    public void update(Settings settings, UpdateType type) {
        // nothing in the settings concerns a recorder
    }
}
