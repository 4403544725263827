package io.tidemark.local;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** The topics of topics.properties (name=partitions), validated, in name order. */
final class TopicPlan {

    /** Kafka's own rule for topic names. */
    private static final Pattern LEGAL_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    record Topic(String name, int partitions) {
    }

    private TopicPlan() {
    }

    static List<Topic> parse(String text) {
        Properties properties = new Properties();
        try {
            properties.load(new StringReader(text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Topic> topics = new ArrayList<>();
        for (String name : new TreeSet<>(properties.stringPropertyNames())) {
            if (!LEGAL_NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
                throw new IllegalArgumentException("'" + name + "' is not a legal Kafka topic name");
            }
            String value = properties.getProperty(name).trim();
            int partitions;
            try {
                partitions = Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + ": partitions must be a whole number, not '" + value + "'");
            }
            if (partitions < 1) {
                throw new IllegalArgumentException(name + ": partitions must be at least 1, not " + partitions);
            }
            topics.add(new Topic(name, partitions));
        }
        return topics;
    }
}
