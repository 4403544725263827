package io.tidemark.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.ConfigMappings;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The configuration properties one service really reads, taken from what it ships: the keys of its
 * application.properties, its own {@code @ConfigMapping} interfaces (as SmallRye Config sees them) and
 * the config model every Quarkus extension in its packaged application carries
 * ({@code META-INF/quarkus-config-doc/quarkus-config-model.json}).
 */
final class ServiceProperties {

    private static final String EXTENSION_MODEL = "META-INF/quarkus-config-doc/quarkus-config-model.json";

    private final String service;
    /** Property names; map keys of mappings as {@code *}, of extension models as {@code "name"}. */
    private final TreeSet<String> names = new TreeSet<>();
    private final List<Pattern> envForms = new ArrayList<>();

    private ServiceProperties(String service) {
        this.service = service;
    }

    /** Reads {@code <root>/<service>}: its application.properties and its packaged target/quarkus-app. */
    static ServiceProperties of(String service) throws Exception {
        Path module = RenderedManifests.root().resolve(service);
        Path app = module.resolve("target/quarkus-app");
        if (!Files.isDirectory(app.resolve("lib/main"))) {
            throw new IllegalStateException(app + " is missing: package " + service + " first");
        }
        ServiceProperties properties = new ServiceProperties(service);
        Properties own = new Properties();
        try (Reader in = Files.newBufferedReader(module.resolve("src/main/resources/application.properties"))) {
            own.load(in);
        }
        own.stringPropertyNames().forEach(key -> properties.add(key.replaceFirst("^%[^.]+\\.", "")));

        List<Path> jars = new ArrayList<>();
        for (String dir : List.of("app", "lib/main", "lib/boot")) {
            try (Stream<Path> files = Files.list(app.resolve(dir))) {
                files.filter(f -> f.toString().endsWith(".jar")).forEach(jars::add);
            }
        }
        ObjectMapper json = new ObjectMapper();
        URL[] urls = new URL[jars.size()];
        for (int i = 0; i < urls.length; i++) {
            urls[i] = jars.get(i).toUri().toURL();
        }
        try (URLClassLoader loader = new URLClassLoader(urls, ServiceProperties.class.getClassLoader())) {
            for (Path jar : jars) {
                boolean ours = jar.getParent().endsWith("app") || jar.getFileName().toString().startsWith("io.tidemark.");
                try (JarFile file = new JarFile(jar.toFile())) {
                    JarEntry model = file.getJarEntry(EXTENSION_MODEL);
                    if (model != null) {
                        try (InputStream in = file.getInputStream(model)) {
                            properties.addExtensionModel(json.readTree(in));
                        }
                    }
                    if (ours) {
                        properties.addMappings(file, loader);
                    }
                }
            }
        }
        return properties;
    }

    /** Whether an environment variable sets one of these properties (SmallRye Config's env rule). */
    boolean readsEnvironmentVariable(String name) {
        return envForms.stream().anyMatch(p -> p.matcher(name).matches());
    }

    /** Whether a property key (as in a mounted application.properties) is one of these. */
    boolean readsProperty(String key) {
        return readsEnvironmentVariable(envForm(key));
    }

    String service() {
        return service;
    }

    Collection<String> names() {
        return names;
    }

    private void addMappings(JarFile jar, ClassLoader loader) throws ClassNotFoundException {
        for (JarEntry entry : java.util.Collections.list(jar.entries())) {
            String name = entry.getName();
            if (!name.endsWith(".class") || name.contains("$") || name.startsWith("META-INF")) {
                continue;
            }
            Class<?> type = Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), false, loader);
            ConfigMapping mapping = type.getAnnotation(ConfigMapping.class);
            if (mapping != null) {
                ConfigMappings.getProperties(ConfigMappings.ConfigClass.configClass(type, mapping.prefix()))
                        .keySet().forEach(this::add);
            }
        }
    }

    private void addExtensionModel(JsonNode node) {
        if (node.isObject()) {
            JsonNode path = node.get("path");
            if (path != null && path.isObject() && path.hasNonNull("property")) {
                add(path.get("property").asText());
            }
            node.forEach(this::addExtensionModel);
        } else if (node.isArray()) {
            node.forEach(this::addExtensionModel);
        }
    }

    private void add(String property) {
        names.add(property);
        envForms.add(Pattern.compile(envPattern(property)));
    }

    /** SmallRye Config's environment form of a property: upper case, every other character an underscore. */
    static String envForm(String property) {
        StringBuilder env = new StringBuilder();
        for (char c : property.toCharArray()) {
            env.append(Character.isLetterOrDigit(c) ? Character.toUpperCase(c) : '_');
        }
        return env.toString();
    }

    /** The env form as a pattern: a map key ({@code *}, {@code "name"}) or list index ({@code [*]}) matches any segment. */
    private static String envPattern(String property) {
        StringBuilder pattern = new StringBuilder();
        int i = 0;
        while (i < property.length()) {
            char c = property.charAt(i);
            if (property.startsWith("[*]", i)) {
                pattern.append("_[0-9]+_");
                i += 3;
            } else if (c == '*') {
                pattern.append("[A-Z0-9_]+");
                i++;
            } else if (c == '"') {
                int end = property.indexOf('"', i + 1);
                pattern.append("[A-Z0-9_]+");
                i = end < 0 ? property.length() : end + 1;
            } else {
                pattern.append(Character.isLetterOrDigit(c) ? String.valueOf(Character.toUpperCase(c)) : "_");
                i++;
            }
        }
        return pattern.toString();
    }
}
