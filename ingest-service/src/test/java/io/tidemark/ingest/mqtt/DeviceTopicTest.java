package io.tidemark.ingest.mqtt;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DeviceTopicTest {

    private final DeviceTopic topic = new DeviceTopic("tidemark/+/events");

    @Test
    void writeKeyIsTheLevelUnderThePlus() {
        assertEquals(Optional.of("dev-write-key"), topic.writeKey("tidemark/dev-write-key/events"));
    }

    @Test
    void topicOutsideTheFilterHasNoWriteKey() {
        assertEquals(Optional.empty(), topic.writeKey("tidemark/dev-write-key/other"));
        assertEquals(Optional.empty(), topic.writeKey("tidemark/a/b/events"));
        assertEquals(Optional.empty(), topic.writeKey("tidemark//events"));
    }

    @Test
    void sharedGroupPrefixesTheSubscription() {
        assertEquals("$share/tidemark-ingest/tidemark/+/events", topic.subscription(Optional.of("tidemark-ingest")));
        assertEquals("tidemark/+/events", topic.subscription(Optional.empty()));
    }

    @Test
    void filterNeedsExactlyOneWriteKeyLevelAndNoHash() {
        assertThrows(IllegalArgumentException.class, () -> new DeviceTopic("tidemark/events"));
        assertThrows(IllegalArgumentException.class, () -> new DeviceTopic("tidemark/+/+/events"));
        assertThrows(IllegalArgumentException.class, () -> new DeviceTopic("tidemark/+/#"));
        assertThrows(IllegalArgumentException.class, () -> new DeviceTopic("$share/g/tidemark/+/events"));
    }
}
