package io.tidemark.mart.rest;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/** A mart root of the test run's own in a temp dir, removed afterwards. */
public class TempMartRoot implements QuarkusTestResourceLifecycleManager {

    private Path root;

    @Override
    public Map<String, String> start() {
        try {
            root = Files.createTempDirectory("tidemark-mart-test-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("tidemark.mart.export.root", root.toString());
    }

    @Override
    public void stop() {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
