package io.tidemark.local;

import java.nio.file.Path;

/**
 * Where everything lives. Source side: the checkout's deploy/local (schema, built jars).
 * Runtime side: TIDEMARK_LOCAL_DIR or &lt;root&gt;/.tidemark-local with data/, logs/ and run/.
 */
record StackLayout(Path root, Path localDir) {

    static final String LOCAL_DIR_ENV = "TIDEMARK_LOCAL_DIR";

    StackLayout {
        root = root.toAbsolutePath().normalize();
        localDir = localDir.toAbsolutePath().normalize();
    }

    /** A cluster's default directory is not the single stack's: both can exist side by side. */
    static StackLayout of(Path root, boolean cluster) {
        String override = System.getenv(LOCAL_DIR_ENV);
        Path localDir = override == null || override.isBlank()
                ? root.resolve(cluster ? ".tidemark-cluster" : ".tidemark-local")
                : Path.of(override);
        return new StackLayout(root, localDir);
    }

    Path moduleDir() {
        return root.resolve("deploy/local");
    }

    Path schemaDir() {
        return moduleDir().resolve("src/main/resources/schema");
    }

    Path topicsFile() {
        return schemaDir().resolve("topics.properties");
    }

    Path targetDir() {
        return moduleDir().resolve("target");
    }

    Path launcherJar() {
        return targetDir().resolve("tidemark-local-stack.jar");
    }

    Path launcherLib() {
        return targetDir().resolve("launcher-lib");
    }

    Path kafkaLib() {
        return targetDir().resolve("stack/kafka-lib");
    }

    Path cassandraLib() {
        return targetDir().resolve("stack/cassandra-lib");
    }

    Path dataDir(String part) {
        return localDir.resolve("data").resolve(part);
    }

    Path logsDir() {
        return localDir.resolve("logs");
    }

    Path log(String part) {
        return logsDir().resolve(part + ".log");
    }

    Path runDir() {
        return localDir.resolve("run");
    }

    Path pidFile(String part) {
        return runDir().resolve(part + ".pid");
    }

    Path lockFile() {
        return runDir().resolve("stack.lock");
    }

    /** Shown to people: relative to the checkout when inside it. */
    String display(Path path) {
        return path.startsWith(root) ? root.relativize(path).toString() : path.toString();
    }
}
