package io.tidemark.k8s;

import com.fasterxml.jackson.databind.JsonNode;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Typed parsing that fails on unknown fields. The fabric8 and Strimzi models keep a field they do not
 * know in {@code additionalProperties} instead of failing (Kubernetes itself drops it, so a misspelt
 * {@code readinesProbe} would silently do nothing): every such map in the parsed object must be empty.
 */
final class StrictModel {

    /** Parses {@code node} as {@code type}; the problems found (unknown fields by path), none if it is clean. */
    static <T> List<String> problems(JsonNode node, Class<T> type) {
        T parsed;
        try {
            parsed = RenderedManifests.YAML.treeToValue(node, type);
        } catch (Exception e) {
            return List.of(type.getSimpleName() + ": " + e.getMessage());
        }
        List<String> problems = new ArrayList<>();
        walk(parsed, "", problems, Collections.newSetFromMap(new IdentityHashMap<>()));
        return problems;
    }

    private static void walk(Object value, String path, List<String> problems, Set<Object> seen) {
        if (value == null || !seen.add(value)) {
            return;
        }
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                walk(item, path + "[" + i++ + "]", problems, seen);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> walk(v, path + "." + k, problems, seen));
            return;
        }
        String pkg = value.getClass().getPackageName();
        if (!pkg.startsWith("io.fabric8.kubernetes.api.model") && !pkg.startsWith("io.strimzi.api")) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || getter.getDeclaringClass() == Object.class
                    || !(getter.getName().startsWith("get") || getter.getName().startsWith("is"))) {
                continue;
            }
            Object child;
            try {
                child = getter.invoke(value);
            } catch (IllegalAccessException | InvocationTargetException e) {
                continue;
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                if (child instanceof Map<?, ?> unknown && !unknown.isEmpty()) {
                    problems.add((path.isEmpty() ? "" : path + ": ") + "unknown field(s) " + unknown.keySet());
                }
                continue;
            }
            String name = getter.getName().startsWith("is") ? getter.getName().substring(2) : getter.getName().substring(3);
            walk(child, path + "." + Character.toLowerCase(name.charAt(0)) + name.substring(1), problems, seen);
        }
    }

    private StrictModel() {
    }
}
