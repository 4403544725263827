package io.tidemark.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Properties;

/** Ports, heaps and timeouts of the stack: stack-defaults.properties, overridable by -Dtidemark.stack.KEY. */
final class StackSettings {

    private static final String DEFAULTS = "stack-defaults.properties";
    private static final String OVERRIDE_PREFIX = "tidemark.stack.";

    private final Properties values;

    private StackSettings(Properties values) {
        this.values = values;
    }

    static StackSettings load() {
        Properties defaults = new Properties();
        try (InputStream in = StackSettings.class.getResourceAsStream(DEFAULTS)) {
            if (in == null) {
                throw new IllegalStateException(DEFAULTS + " is missing from the launcher jar");
            }
            defaults.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Properties merged = new Properties();
        for (String key : defaults.stringPropertyNames()) {
            merged.setProperty(key, System.getProperty(OVERRIDE_PREFIX + key, defaults.getProperty(key)));
        }
        return new StackSettings(merged);
    }

    String text(String key) {
        String value = values.getProperty(key);
        if (value == null) {
            throw new IllegalArgumentException("no setting " + key + " in " + DEFAULTS);
        }
        return value.trim();
    }

    int integer(String key) {
        try {
            return Integer.parseInt(text(key));
        } catch (NumberFormatException e) {
            throw new StackException("setting " + key + " must be a whole number, not '" + text(key) + "'");
        }
    }

    Duration seconds(String key) {
        return Duration.ofSeconds(integer(key));
    }

    Duration millis(String key) {
        return Duration.ofMillis(integer(key));
    }
}
