package io.tidemark.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** deploy/k8s as a cluster would receive it: every kustomization rendered by the real kustomize (kubectl's). */
final class RenderedManifests {

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static Path root() {
        return Path.of(System.getProperty("tidemark.root", "../..")).toAbsolutePath().normalize();
    }

    static Path k8sDir() {
        return root().resolve("deploy/k8s");
    }

    private static Map<Path, List<ObjectNode>> rendered;

    /**
     * Every directory under deploy/k8s that holds a kustomization (the base, the overlays and their parts);
     * components are left out: they cannot be built alone and are rendered inside the overlays that use them.
     */
    static List<Path> kustomizations() throws IOException {
        try (Stream<Path> files = Files.walk(k8sDir())) {
            return files.filter(f -> f.getFileName().toString().equals("kustomization.yaml"))
                    .filter(f -> !isComponent(f)).map(Path::getParent).sorted().toList();
        }
    }

    /** Every kustomization rendered, once per test run (each render starts kubectl). */
    static synchronized Map<Path, List<ObjectNode>> all() throws IOException, InterruptedException {
        if (rendered == null) {
            Map<Path, List<ObjectNode>> all = new LinkedHashMap<>();
            for (Path kustomization : kustomizations()) {
                all.put(kustomization, render(kustomization));
            }
            rendered = Collections.unmodifiableMap(all);
        }
        return rendered;
    }

    /** The objects of one kind parsed as their model type (named after the kind). */
    static <T> List<T> typed(List<ObjectNode> objects, Class<T> type) {
        String kind = type.getSimpleName();
        return objects.stream().filter(o -> o.path("kind").asText().equals(kind)).map(o -> {
            try {
                return YAML.treeToValue(o, type);
            } catch (IOException e) {
                throw new IllegalStateException(name(o), e);
            }
        }).toList();
    }

    static String name(JsonNode object) {
        return object.path("kind").asText() + " " + object.path("metadata").path("name").asText();
    }

    private static boolean isComponent(Path kustomization) {
        try {
            return YAML.readTree(kustomization.toFile()).path("kind").asText().equals("Component");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code kubectl kustomize dir}, split into its objects; fails with kustomize's own message. */
    static List<ObjectNode> render(Path kustomization) throws IOException, InterruptedException {
        String kubectl = System.getProperty("tidemark.kubectl");
        if (kubectl == null || !Files.isExecutable(Path.of(kubectl))) {
            throw new IllegalStateException("no kubectl at " + kubectl + " (the build unpacks it into target/kubectl)");
        }
        Path out = Files.createTempFile("kustomize", ".yaml");
        Path err = Files.createTempFile("kustomize", ".err");
        try {
            Process process = new ProcessBuilder(kubectl, "kustomize", kustomization.toString())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("kubectl kustomize " + kustomization + " took over 60 s");
            }
            if (process.exitValue() != 0) {
                throw new AssertionError("kubectl kustomize " + kustomization + " failed: "
                        + Files.readString(err, StandardCharsets.UTF_8));
            }
            return documents(Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** The objects of a multi-document YAML file. */
    static List<ObjectNode> documents(String yaml) throws IOException {
        List<ObjectNode> objects = new ArrayList<>();
        try (var parser = YAML.getFactory().createParser(yaml)) {
            var values = YAML.readValues(parser, JsonNode.class);
            while (values.hasNext()) {
                JsonNode node = values.next();
                if (node != null && !node.isNull() && !node.isMissingNode()) {
                    objects.add((ObjectNode) node);
                }
            }
        }
        return objects;
    }

    private RenderedManifests() {
    }
}
