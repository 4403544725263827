package io.tidemark.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Guards against stale server classpaths: the Kafka and Cassandra jars under target/stack must be the
 * versions the parent pom names (the server modules cannot inherit them; see deploy/local/pom.xml).
 */
final class StackVersions {

    private StackVersions() {
    }

    static void check(StackLayout layout) {
        Properties versions = new Properties();
        try (InputStream in = StackVersions.class.getResourceAsStream("stack-versions.properties")) {
            versions.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        require(layout, layout.kafkaLib(), "kafka_2.13-" + versions.getProperty("kafka.version") + ".jar");
        require(layout, layout.cassandraLib(), "cassandra-all-" + versions.getProperty("cassandra.version") + ".jar");
    }

    private static void require(StackLayout layout, Path lib, String jar) {
        if (!Files.isRegularFile(lib.resolve(jar))) {
            throw new StackException(layout.display(lib) + " has no " + jar + ": the server classpath is missing or"
                    + " stale, or deploy/local/*-server/pom.xml disagree with the parent pom's versions."
                    + " Rebuild with: ./mvnw -q clean package -DskipTests -pl deploy/local/kafka-server,deploy/local/cassandra-server,deploy/local/launcher -am");
        }
    }
}
