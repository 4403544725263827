package io.tidemark.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * An installation as README step 3 has a user make it: a kustomization of their own on top of one of
 * deploy/k8s, whose {@code secretGenerator} replaces each Secret the base generates from a
 * {@code *-example} file with the user's copy of that file; rendered by the same kustomize.
 */
final class UserOverlay {

    private UserOverlay() {
    }

    /**
     * Writes the user's kustomization into {@code dir} and renders it.
     *
     * @param kustomization the one of deploy/k8s it builds on, e.g. {@code overlays/prod}
     * @param copy          the user's copy of an example file, from the Secret's name and the example's text
     */
    static List<ObjectNode> render(String kustomization, Path dir, BiFunction<String, String, String> copy)
            throws IOException, InterruptedException {
        Path base = RenderedManifests.k8sDir().resolve("base");
        JsonNode baseKustomization = RenderedManifests.YAML.readTree(base.resolve("kustomization.yaml").toFile());
        Files.createDirectories(dir);
        List<Map<String, Object>> generators = new ArrayList<>();
        for (JsonNode generator : baseKustomization.path("secretGenerator")) {
            String name = generator.path("name").asText();
            List<String> files = new ArrayList<>();
            for (JsonNode file : generator.path("files")) {
                String[] keyAndPath = file.asText().split("=", 2);
                String example = Files.readString(base.resolve(keyAndPath[1]));
                String userFile = name + "-" + keyAndPath[0];
                Files.writeString(dir.resolve(userFile), copy.apply(name, example));
                files.add(keyAndPath[0] + "=" + userFile);
            }
            Map<String, Object> replacement = new LinkedHashMap<>();
            replacement.put("name", name);
            replacement.put("namespace", baseKustomization.path("namespace").asText());
            replacement.put("behavior", "replace");
            replacement.put("files", files);
            generators.add(replacement);
        }
        if (generators.isEmpty()) {
            throw new AssertionError("deploy/k8s/base generates no Secret; nothing for a user to replace");
        }
        Map<String, Object> user = new LinkedHashMap<>();
        user.put("apiVersion", "kustomize.config.k8s.io/v1beta1");
        user.put("kind", "Kustomization");
        user.put("resources", List.of(dir.toAbsolutePath().relativize(RenderedManifests.k8sDir().resolve(kustomization)).toString()));
        user.put("secretGenerator", generators);
        RenderedManifests.YAML.writeValue(dir.resolve("kustomization.yaml").toFile(), user);
        return RenderedManifests.render(dir);
    }
}
