package io.tidemark.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The services' and the bulk loader's Dockerfiles agree with what the build packages and with the
 * Deployments that run them.
 * No OCI builder is reachable where this runs, so the images themselves are not built here.
 */
class ContainerImagesTest {

    private static final List<String> SERVICES = List.of("ingest-service", "dedup-service", "mart-service");
    private static final String BULK_LOADER = "bulk-loader";
    private static final String BULK_LOADER_JAR = "/deployments/tidemark-bulk-loader.jar";

    @Test
    void everyJvmImageCopiesOnlyWhatThePackageHoldsAndStartsWhereTheConfigIsMounted() throws Exception {
        List<String> problems = new ArrayList<>();
        for (String service : SERVICES) {
            Path module = RenderedManifests.root().resolve(service);
            Dockerfile jvm = Dockerfile.read(module.resolve("src/main/docker/Dockerfile.jvm"));
            for (String source : jvm.copySources()) {
                if (!matchesSomething(module, source)) {
                    problems.add(service + ": Dockerfile.jvm copies " + source + ", which the package does not hold");
                }
            }
            if (!"/deployments".equals(jvm.last("WORKDIR"))) {
                problems.add(service + ": Dockerfile.jvm does not start in /deployments, where config/ is mounted");
            }
            boolean shipsOptions = Files.isRegularFile(module.resolve("src/main/jvm/jvm.options"));
            List<String> entrypoint = jvm.entrypoint();
            if (shipsOptions && !entrypoint.equals(List.of("java", "@/deployments/jvm.options", "-jar", "/deployments/quarkus-run.jar"))) {
                problems.add(service + ": ships jvm.options but its image starts " + entrypoint);
            }
            if (shipsOptions && !jvm.copySources().contains("target/quarkus-app/jvm.options")) {
                problems.add(service + ": ships jvm.options but its image does not copy it");
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void theBulkLoaderImageRunsItsJarWithItsLibrariesOnTheServicesBaseAndPassesArgumentsThrough() throws Exception {
        List<String> problems = new ArrayList<>();
        Path module = RenderedManifests.root().resolve(BULK_LOADER);
        Dockerfile loader = Dockerfile.read(module.resolve("src/main/docker/Dockerfile.jvm"));
        for (String source : loader.copySources()) {
            if (!matchesSomething(module, source)) {
                problems.add("Dockerfile.jvm copies " + source + ", which the package does not hold");
            }
        }
        // The jar's manifest names its libraries as lib/<name>.jar, relative to the jar.
        if (!loader.copySources().containsAll(List.of("target/lib/", "target/tidemark-bulk-loader.jar"))) {
            problems.add("Dockerfile.jvm does not copy both the jar and target/lib/: " + loader.copySources());
        }
        String serviceBase = Dockerfile.read(RenderedManifests.root().resolve(SERVICES.get(0))
                .resolve("src/main/docker/Dockerfile.jvm")).last("FROM");
        if (!serviceBase.equals(loader.last("FROM"))) {
            problems.add("Dockerfile.jvm starts FROM " + loader.last("FROM") + ", the services from " + serviceBase);
        }
        // Exec form ending in the jar, so `docker run <image> load --job …` hands the arguments to the loader.
        List<String> entrypoint = loader.entrypoint();
        if (entrypoint.size() < 3 || !entrypoint.get(0).equals("java")
                || !entrypoint.subList(entrypoint.size() - 2, entrypoint.size()).equals(List.of("-jar", BULK_LOADER_JAR))) {
            problems.add("Dockerfile.jvm's ENTRYPOINT does not end in -jar " + BULK_LOADER_JAR + ": " + entrypoint);
        }
        if (!entrypoint.equals(List.of("java", "@/deployments/jvm.options", "-jar", BULK_LOADER_JAR))
                || !loader.copySources().contains("target/jvm.options")) {
            problems.add("Dockerfile.jvm does not start the loader with the jvm.options bench/run measures: " + entrypoint);
        }
        if (!loader.exposed().isEmpty()) {
            problems.add("the loader listens on no port, yet Dockerfile.jvm exposes " + loader.exposed());
        }
        if (!"/deployments".equals(loader.last("WORKDIR"))) {
            problems.add("Dockerfile.jvm does not start in /deployments");
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void everyNativeImageRunsTheRunnerWhereTheConfigIsMounted() throws Exception {
        List<String> problems = new ArrayList<>();
        for (String service : SERVICES) {
            Dockerfile nativeImage = Dockerfile.read(RenderedManifests.root().resolve(service).resolve("src/main/docker/Dockerfile.native"));
            if (!nativeImage.copySources().equals(List.of("target/*-runner"))) {
                problems.add(service + ": Dockerfile.native copies " + nativeImage.copySources() + ", not the native runner");
            }
            if (!"/deployments".equals(nativeImage.last("WORKDIR"))) {
                problems.add(service + ": Dockerfile.native does not start in /deployments, where config/ is mounted");
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void eachDeploymentRunsItsImageAsTheImageDoesAndExposesItsPorts() throws Exception {
        List<String> problems = new ArrayList<>();
        int deployments = 0;
        for (Path kustomization : RenderedManifests.kustomizations()) {
            for (var object : RenderedManifests.render(kustomization)) {
                if (!object.path("kind").asText().equals("Deployment")) {
                    continue;
                }
                Deployment deployment = RenderedManifests.YAML.treeToValue(object, Deployment.class);
                for (Container container : deployment.getSpec().getTemplate().getSpec().getContainers()) {
                    deployments++;
                    Path module = RenderedManifests.root().resolve(container.getName());
                    for (String kind : List.of("jvm", "native")) {
                        Dockerfile image = Dockerfile.read(module.resolve("src/main/docker/Dockerfile." + kind));
                        Set<String> declared = container.getPorts().stream().map(ContainerPort::getContainerPort)
                                .map(String::valueOf).collect(Collectors.toCollection(TreeSet::new));
                        if (!declared.equals(new TreeSet<>(image.exposed()))) {
                            problems.add(kustomization + ": " + container.getName() + " declares ports " + declared
                                    + ", Dockerfile." + kind + " exposes " + image.exposed());
                        }
                    }
                    Dockerfile jvm = Dockerfile.read(module.resolve("src/main/docker/Dockerfile.jvm"));
                    if (!container.getCommand().isEmpty() && !container.getCommand().equals(jvm.entrypoint())) {
                        problems.add(kustomization + ": " + container.getName() + " runs " + container.getCommand()
                                + ", its JVM image " + jvm.entrypoint());
                    }
                    if (!"/deployments".equals(container.getWorkingDir())) {
                        problems.add(kustomization + ": " + container.getName() + " does not work in /deployments");
                    }
                }
            }
        }
        assertTrue(deployments > 0);
        assertEquals(List.of(), problems);
    }

    private static boolean matchesSomething(Path module, String source) throws IOException {
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + source.replaceAll("/$", ""));
        try (Stream<Path> files = Files.walk(module.resolve("target"), 2)) {
            return files.map(module::relativize).anyMatch(matcher::matches);
        }
    }
}
