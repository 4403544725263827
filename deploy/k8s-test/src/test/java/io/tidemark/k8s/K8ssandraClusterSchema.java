package io.tidemark.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Quantity;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * K8ssandraCluster checked against a hand-written schema of the fields deploy/k8s uses
 * (src/test/resources/k8ssandra-cluster.schema.yaml): k8ssandra-operator publishes no Java model, so
 * unlike the Kubernetes and Strimzi objects this is only as right as that file.
 */
final class K8ssandraClusterSchema {

    static final String TYPE = "k8ssandra.io/v1alpha1/K8ssandraCluster";

    private static final JsonNode SCHEMA = load();

    /** The problems of one K8ssandraCluster (unknown fields, wrong types), none if it is clean. */
    static List<String> problems(JsonNode object) {
        List<String> problems = new ArrayList<>();
        check(object, SCHEMA, "", problems);
        return problems;
    }

    private static void check(JsonNode value, JsonNode schema, String path, List<String> problems) {
        if (schema.isObject()) {
            if (!value.isObject()) {
                problems.add(path + ": not an object");
                return;
            }
            for (Map.Entry<String, JsonNode> field : value.properties()) {
                JsonNode fieldSchema = schema.get(field.getKey());
                if (fieldSchema == null) {
                    problems.add((path.isEmpty() ? "" : path + ": ") + "unknown field(s) [" + field.getKey() + "]");
                } else {
                    check(field.getValue(), fieldSchema, path + "." + field.getKey(), problems);
                }
            }
        } else if (schema.isArray()) {
            if (!value.isArray()) {
                problems.add(path + ": not a list");
                return;
            }
            for (int i = 0; i < value.size(); i++) {
                check(value.get(i), schema.get(0), path + "[" + i + "]", problems);
            }
        } else {
            String leaf = schema.asText();
            boolean ok = switch (leaf) {
                case "string" -> value.isTextual();
                case "integer" -> value.isIntegralNumber();
                case "boolean" -> value.isBoolean();
                case "map" -> value.isObject();
                case "quantity" -> isQuantity(value);
                default -> {
                    if (!leaf.startsWith("fabric8:")) {
                        throw new IllegalStateException("unknown leaf type " + leaf + " in the schema");
                    }
                    try {
                        Class<?> type = Class.forName(leaf.substring("fabric8:".length()));
                        StrictModel.problems(value, type).forEach(p -> problems.add(path + p));
                    } catch (ClassNotFoundException e) {
                        throw new IllegalStateException(leaf, e);
                    }
                    yield true;
                }
            };
            if (!ok) {
                problems.add(path + ": not a " + leaf + ": " + value);
            }
        }
    }

    private static boolean isQuantity(JsonNode value) {
        try {
            Quantity.getAmountInBytes(new Quantity(value.asText()));
            return value.isTextual() || value.isNumber();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static JsonNode load() {
        try (InputStream in = K8ssandraClusterSchema.class.getResourceAsStream("/k8ssandra-cluster.schema.yaml")) {
            return RenderedManifests.YAML.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private K8ssandraClusterSchema() {
    }
}
