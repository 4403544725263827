package io.tidemark.k8s;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.tidemark.testsupport.FreePort;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * How the kubelet would start the container of one rendered Deployment or Job, as a process on this machine: the
 * image's files and every volume under a directory standing for the container's root, the command (or the
 * image's entry point), the environment as the kubelet assembles it, and the few values that must differ
 * here (each one recorded in {@link #overrides()}). See {@link DeploymentsStartAsPodsIT} for the rules.
 */
final class PodLaunch {

    /** The entry point of Red Hat's OpenJDK runtime images, which mart's Dockerfile.jvm keeps. */
    static final String RUN_JAVA = "/opt/jboss/container/java/run/run-java.sh";
    /**
     * What run-java.sh puts before {@code JAVA_OPTS_APPEND} when {@code JAVA_OPTS} is unset: the output of the
     * image's java-default-options with none of its variables set (jboss-container-images/openjdk,
     * modules/jvm/bash). Read from that source, not from the 1.23 image: no OCI runtime is reachable here.
     */
    static final List<String> RUN_JAVA_DEFAULT_OPTIONS = List.of("-XX:MaxRAMPercentage=50.0", "-XX:+UseParallelGC",
            "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=20", "-XX:GCTimeRatio=4",
            "-XX:AdaptiveSizePolicyWeight=90", "-XX:+ExitOnOutOfMemoryError");
    /** A regular file under which nothing can be created: the JVM's /tmp on a read-only root file system. */
    private static final String READ_ONLY_MARKER = "read-only-root-filesystem";
    /** The {@code $(VAR)} references the kubelet expands in env values, command and args. */
    private static final Pattern REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    /** One probe: its kind, HTTP path, the port it names and the local port that stands for it. */
    record HttpProbe(String kind, String path, String port, int localPort, int periodSeconds, int failureThreshold) {
    }

    private final String name;
    private final String module;
    private final Path root;
    private final Path workingDir;
    private final List<String> command;
    private final Map<String, String> env;
    private final Map<String, Path> mounts;
    private final Map<String, Integer> localPorts;
    private final List<HttpProbe> probes;
    private final List<String> overrides;
    private final long gracePeriodSeconds;
    private final String signature;

    private PodLaunch(String name, String module, Path root, Path workingDir, List<String> command, Map<String, String> env,
                      Map<String, Path> mounts, Map<String, Integer> localPorts, List<HttpProbe> probes,
                      List<String> overrides, long gracePeriodSeconds, String signature) {
        this.name = name;
        this.module = module;
        this.root = root;
        this.workingDir = workingDir;
        this.command = command;
        this.env = env;
        this.mounts = mounts;
        this.localPorts = localPorts;
        this.probes = probes;
        this.overrides = new ArrayList<>(overrides);
        this.gracePeriodSeconds = gracePeriodSeconds;
        this.signature = signature;
    }

    /**
     * Lays out the container's file system under {@code root} and works out its process.
     *
     * @param objects      the rendered kustomization the workload belongs to (its Secrets, ConfigMaps, Services)
     * @param addresses    cluster addresses (host:port as the manifests name them) and what answers them here
     * @param variables    variables whose rendered value only holds inside the cluster, and their value here
     */
    static PodLaunch prepare(String kustomization, List<ObjectNode> objects, Workload workload, Path root,
                             Map<String, String> addresses, Map<String, String> variables) throws IOException {
        PodSpec pod = workload.template().getSpec();
        if (pod.getContainers().size() != 1 || pod.getInitContainers() != null && !pod.getInitContainers().isEmpty()) {
            throw new AssertionError(kustomization + ": " + workload.name()
                    + " has other than one container; this test starts one process per pod");
        }
        Container container = pod.getContainers().get(0);
        String module = container.getName();
        Path moduleDir = RenderedManifests.root().resolve(module);
        Dockerfile image = Dockerfile.read(moduleDir.resolve("src/main/docker/Dockerfile.jvm"));
        List<String> overrides = new ArrayList<>();
        Files.createDirectories(root);

        // The image: every COPY of Dockerfile.jvm, linked from the package rather than copied.
        Set<String> containerPaths = new TreeSet<>();
        for (Dockerfile.Copy copy : image.copies()) {
            for (String source : copy.sources()) {
                containerPaths.add(strip(copy.destination()));
                link(moduleDir, source, root, copy.destination());
            }
        }
        String workingDirPath = container.getWorkingDir() != null ? container.getWorkingDir() : image.last("WORKDIR");
        containerPaths.add(workingDirPath);

        // The volumes: each mount a directory of its own; Secrets and ConfigMaps as their files.
        Map<String, Path> mounts = new LinkedHashMap<>();
        StringBuilder mountedFiles = new StringBuilder();
        for (VolumeMount mount : container.getVolumeMounts()) {
            if (mount.getSubPath() != null || mount.getSubPathExpr() != null) {
                throw new AssertionError(module + ": subPath mounts are not modelled by this test");
            }
            Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst()
                    .orElseThrow(() -> new AssertionError(module + " mounts the missing volume " + mount.getName()));
            Path dir = Files.createDirectories(root.resolve(strip(mount.getMountPath()).substring(1)));
            if (!dir.toRealPath().startsWith(root.toRealPath())) {
                throw new AssertionError(module + ": mount " + mount.getMountPath() + " lies inside the image's files");
            }
            for (Map.Entry<String, String> file : files(objects, volume, module).entrySet()) {
                Files.writeString(dir.resolve(file.getKey()), file.getValue(), StandardCharsets.UTF_8);
                mountedFiles.append(mount.getMountPath()).append('/').append(file.getKey()).append(":\n").append(file.getValue()).append('\n');
            }
            mountedFiles.append("mount ").append(mount.getMountPath()).append(' ').append(Boolean.TRUE.equals(mount.getReadOnly()) ? "ro" : "rw").append('\n');
            mounts.put(strip(mount.getMountPath()), dir);
            containerPaths.add(strip(mount.getMountPath()));
        }

        // The environment, lowest precedence first: the image's ENV, the Services' links, envFrom, env.
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        // A pod's name, fixed here, so that the same workload in two overlays gets the same environment.
        env.put("HOSTNAME", workload.podName());
        env.putAll(image.env());
        if (pod.getEnableServiceLinks() == null || pod.getEnableServiceLinks()) {
            env.putAll(serviceLinks(objects, workload.namespace()));
        }
        for (EnvFromSource from : container.getEnvFrom()) {
            String prefix = Objects.requireNonNullElse(from.getPrefix(), "");
            if (from.getConfigMapRef() != null) {
                configMap(objects, from.getConfigMapRef().getName(), module).forEach((k, v) -> env.put(prefix + k, v));
            }
            if (from.getSecretRef() != null) {
                secret(objects, from.getSecretRef().getName(), module).forEach((k, v) -> env.put(prefix + k, v));
            }
        }
        for (EnvVar variable : container.getEnv()) {
            env.put(variable.getName(), value(objects, variable, env, module));
        }

        // The process: the container's command, else the image's entry point (run-java.sh done by hand).
        List<String> command = new ArrayList<>();
        if (container.getCommand() != null && !container.getCommand().isEmpty()) {
            container.getCommand().forEach(word -> command.add(expand(word, env)));
        } else {
            List<String> entrypoint = image.entrypoint();
            if (entrypoint.equals(List.of(RUN_JAVA))) {
                command.add("java");
                if (env.containsKey("JAVA_OPTS")) {
                    command.addAll(words(env.get("JAVA_OPTS")));
                } else {
                    command.addAll(RUN_JAVA_DEFAULT_OPTIONS);
                    command.addAll(words(env.getOrDefault("JAVA_OPTS_APPEND", "")));
                }
                command.addAll(List.of("-jar", Objects.requireNonNull(env.get("JAVA_APP_JAR"), "run-java.sh needs JAVA_APP_JAR")));
                overrides.add("entry point " + RUN_JAVA + " run as what it executes: java <its default options> "
                        + "$JAVA_OPTS_APPEND -jar $JAVA_APP_JAR");
            } else {
                command.addAll(entrypoint);
            }
        }
        if (container.getArgs() != null) {
            container.getArgs().forEach(word -> command.add(expand(word, env)));
        }
        if (!command.get(0).equals("java")) {
            throw new AssertionError(module + " starts " + command.get(0) + ", not the JVM this test can run");
        }
        command.set(0, Path.of(System.getProperty("java.home"), "bin", "java").toString());
        overrides.add("java is " + command.get(0) + " (the image's is OpenJDK 17 too)");

        // Container paths in values point into the root directory: a process cannot be given another root.
        List<String> longestFirst = containerPaths.stream().sorted(Comparator.comparingInt(String::length).reversed()).toList();
        for (int i = 0; i < command.size(); i++) {
            String translated = translate(command.get(i), longestFirst, root);
            if (!translated.equals(command.get(i))) {
                overrides.add("argument " + command.get(i) + " -> " + translated);
                command.set(i, translated);
            }
        }
        for (Map.Entry<String, String> variable : env.entrySet()) {
            String translated = translate(variable.getValue(), longestFirst, root);
            if (!translated.equals(variable.getValue())) {
                overrides.add(variable.getKey() + "=" + variable.getValue() + " -> " + translated);
                variable.setValue(translated);
            }
        }

        // Cluster addresses to the local stack's, and what else only holds inside the cluster.
        for (Map.Entry<String, String> variable : env.entrySet()) {
            String value = variable.getValue();
            for (Map.Entry<String, String> address : addresses.entrySet()) {
                value = value.replace(address.getKey(), address.getValue());
            }
            if (variables.containsKey(variable.getKey())) {
                value = variables.get(variable.getKey());
            }
            if (!value.equals(variable.getValue())) {
                overrides.add(variable.getKey() + "=" + variable.getValue() + " -> " + value);
                variable.setValue(value);
            }
        }
        List<String> unresolvable = unresolvableNames(env, objects);
        if (!unresolvable.isEmpty()) {
            throw new AssertionError(module + " would need cluster DNS for " + unresolvable + "; map them to the local stack");
        }

        // Each container port on a free local port, set through the property the service listens with.
        Map<String, Integer> localPorts = new LinkedHashMap<>();
        Map<String, String> portVariables = new LinkedHashMap<>();
        Properties shipped = new Properties();
        if (!container.getPorts().isEmpty()) {
            try (Reader in = Files.newBufferedReader(moduleDir.resolve("src/main/resources/application.properties"))) {
                shipped.load(in);
            }
        }
        for (ContainerPort port : container.getPorts()) {
            List<String> setters = shipped.stringPropertyNames().stream().filter(k -> !k.startsWith("%") && k.endsWith(".port")
                    && shipped.getProperty(k).strip().equals(String.valueOf(port.getContainerPort()))).sorted().toList();
            if (setters.size() != 1) {
                throw new AssertionError(kustomization + ": " + module + " declares port " + port.getName() + " "
                        + port.getContainerPort() + ", which " + (setters.isEmpty() ? "no" : "more than one")
                        + " port property of its application.properties sets " + setters);
            }
            int local = FreePort.next();
            String variable = ServiceProperties.envForm(setters.get(0));
            overrides.add(variable + "=" + local + " (container port " + port.getName() + " " + port.getContainerPort()
                    + ", which " + setters.get(0) + " sets" + (env.containsKey(variable) ? "; rendered " + env.get(variable) : "") + ")");
            env.put(variable, String.valueOf(local));
            portVariables.put(variable, port.getName());
            localPorts.put(port.getName(), local);
            localPorts.put(String.valueOf(port.getContainerPort()), local);
        }

        // What the JVM takes from the container without being told: its memory limit, and /tmp.
        List<String> jvm = new ArrayList<>();
        Quantity memory = container.getResources() == null || container.getResources().getLimits() == null ? null
                : container.getResources().getLimits().get("memory");
        if (memory != null) {
            jvm.add("-XX:MaxRAM=" + Quantity.getAmountInBytes(memory).toBigInteger());
        }
        boolean readOnlyRoot = container.getSecurityContext() != null
                && Boolean.TRUE.equals(container.getSecurityContext().getReadOnlyRootFilesystem());
        Path tmp;
        if (mounts.containsKey("/tmp")) {
            tmp = mounts.get("/tmp");
        } else if (readOnlyRoot) {
            // Beneath a regular file nothing can be created, not even by root, as on a read-only file system.
            Path readOnly = root.resolve(READ_ONLY_MARKER);
            Files.writeString(readOnly, "");
            tmp = readOnly.resolve("tmp");
        } else {
            tmp = Files.createDirectories(root.resolve("tmp"));
        }
        jvm.add("-Djava.io.tmpdir=" + tmp);
        if (env.containsKey("JDK_JAVA_OPTIONS")) {
            throw new AssertionError(module + " sets JDK_JAVA_OPTIONS, which this test uses for the container's limits");
        }
        env.put("JDK_JAVA_OPTIONS", String.join(" ", jvm));
        overrides.add("JDK_JAVA_OPTIONS=" + env.get("JDK_JAVA_OPTIONS") + " (the cgroup memory limit the JVM would detect; "
                + "/tmp " + (mounts.containsKey("/tmp") ? "is its volume" : readOnlyRoot ? "is read-only" : "is writable") + ")");

        List<HttpProbe> probes = new ArrayList<>();
        probe("startup", container.getStartupProbe(), localPorts, module).ifPresent(probes::add);
        probe("readiness", container.getReadinessProbe(), localPorts, module).ifPresent(probes::add);
        probe("liveness", container.getLivenessProbe(), localPorts, module).ifPresent(probes::add);

        Path workingDir = Files.createDirectories(root.resolve(workingDirPath.substring(1)));
        long grace = pod.getTerminationGracePeriodSeconds() == null ? 30 : pod.getTerminationGracePeriodSeconds();
        // Everything the process sees, with this launch's root directory and local ports left out.
        StringBuilder signature = new StringBuilder(module).append('\n').append(workingDirPath).append('\n').append(grace).append('\n');
        command.forEach(word -> signature.append(word.replace(root.toString(), "<root>")).append('\n'));
        new TreeMap<>(env).forEach((k, v) -> signature.append(k).append('=')
                .append(portVariables.containsKey(k) ? "<port " + portVariables.get(k) + ">" : v.replace(root.toString(), "<root>")).append('\n'));
        signature.append(mountedFiles);
        probes.forEach(p -> signature.append(p.kind()).append(' ').append(p.path()).append(' ').append(p.port()).append(' ')
                .append(p.periodSeconds()).append('x').append(p.failureThreshold()).append('\n'));
        return new PodLaunch(kustomization + "/" + workload.name(), module, root, workingDir,
                List.copyOf(command), env, mounts, localPorts, probes, List.copyOf(overrides), grace, signature.toString());
    }

    String name() {
        return name;
    }

    String module() {
        return module;
    }

    Path root() {
        return root;
    }

    Path workingDir() {
        return workingDir;
    }

    List<String> command() {
        return command;
    }

    Map<String, String> env() {
        return env;
    }

    /** Mount path (as in the manifest) to the directory standing for it. */
    Map<String, Path> mounts() {
        return mounts;
    }

    /** The local port standing for a container port, by its name or number. */
    int localPort(String port) {
        Integer local = localPorts.get(port);
        if (local == null) {
            throw new AssertionError(name + " has no container port " + port);
        }
        return local;
    }

    List<HttpProbe> probes() {
        return probes;
    }

    List<String> overrides() {
        return overrides;
    }

    /**
     * What the started process would see, without this launch's root directory and local port numbers: two
     * launches with the same signature start the same process (replica counts and CPU requests, which differ
     * between overlays, are not in it: they do not reach the process).
     */
    String signature() {
        return signature;
    }

    /** Sets a variable the manifest does not set or sets otherwise, recorded with the reason. */
    void override(String variable, String value, String why) {
        String rendered = env.put(variable, value);
        overrides.add(variable + "=" + value + " (" + (rendered == null ? "not set by the manifest" : "rendered " + rendered)
                + "; " + why + ")");
    }

    /** The container path a local path under this root stands for. */
    /** Regular files under the container's root outside its volumes: what a read-only root file system would refuse. */
    List<String> writtenOutsideVolumes() throws IOException {
        List<Path> volumes = List.copyOf(mounts.values());
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).filter(f -> !Files.isSymbolicLink(f))
                    .filter(f -> volumes.stream().noneMatch(f::startsWith))
                    .filter(f -> !f.getFileName().toString().equals(READ_ONLY_MARKER))
                    .map(f -> name + " wrote " + containerPath(f)).toList();
        }
    }

    String containerPath(Path local) {
        if (!local.startsWith(root)) {
            throw new AssertionError(local + " is not under the container's root " + root);
        }
        return "/" + root.relativize(local);
    }

    long gracePeriodSeconds() {
        return gracePeriodSeconds;
    }

    /** The directory standing for a container path: the one of the mount that holds it, or none if on the root file system. */
    Optional<Path> onVolume(String containerPath) {
        return mounts.entrySet().stream().filter(m -> containerPath.equals(m.getKey()) || containerPath.startsWith(m.getKey() + "/"))
                .max(Comparator.comparingInt(m -> m.getKey().length()))
                .map(m -> m.getValue().resolve(containerPath.substring(m.getKey().length()).replaceFirst("^/", "")));
    }

    private static Optional<HttpProbe> probe(String kind, Probe probe, Map<String, Integer> localPorts, String module) {
        if (probe == null) {
            return Optional.empty();
        }
        if (probe.getHttpGet() == null) {
            throw new AssertionError(module + ": the " + kind + " probe is not an HTTP GET; this test asks HTTP probes only");
        }
        IntOrString port = probe.getHttpGet().getPort();
        String key = port.getStrVal() != null ? port.getStrVal() : String.valueOf(port.getIntVal());
        Integer local = localPorts.get(key);
        if (local == null) {
            throw new AssertionError(module + ": the " + kind + " probe names port " + key + ", which the container does not declare");
        }
        return Optional.of(new HttpProbe(kind, probe.getHttpGet().getPath(), key, local,
                Objects.requireNonNullElse(probe.getPeriodSeconds(), 10), Objects.requireNonNullElse(probe.getFailureThreshold(), 3)));
    }

    private static void link(Path moduleDir, String source, Path root, String destination) throws IOException {
        boolean directory = source.endsWith("/");
        Path pattern = Path.of(strip(source));
        Path parent = moduleDir.resolve(pattern).getParent();
        int matched = 0;
        try (DirectoryStream<Path> matches = Files.newDirectoryStream(parent, pattern.getFileName().toString())) {
            for (Path match : matches) {
                matched++;
                Path target = root.resolve(strip(destination).substring(1));
                // COPY dir/ dest/ puts the directory's content at dest; COPY file dest/ puts the file into dest.
                if (!directory && destination.endsWith("/")) {
                    target = target.resolve(match.getFileName());
                }
                Files.createDirectories(target.getParent());
                Files.createSymbolicLink(target, match.toAbsolutePath());
            }
        }
        if (matched == 0) {
            throw new AssertionError(moduleDir.getFileName() + ": Dockerfile.jvm copies " + source + ", which the package does not hold");
        }
    }

    private static String strip(String path) {
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    /** The files a Secret or ConfigMap volume shows; none for an emptyDir or a claim. */
    private static Map<String, String> files(List<ObjectNode> objects, Volume volume, String module) {
        if (volume.getSecret() != null) {
            if (volume.getSecret().getItems() != null && !volume.getSecret().getItems().isEmpty()) {
                throw new AssertionError(module + ": Secret volumes with items are not modelled by this test");
            }
            return secret(objects, volume.getSecret().getSecretName(), module);
        }
        if (volume.getConfigMap() != null) {
            if (volume.getConfigMap().getItems() != null && !volume.getConfigMap().getItems().isEmpty()) {
                throw new AssertionError(module + ": ConfigMap volumes with items are not modelled by this test");
            }
            return configMap(objects, volume.getConfigMap().getName(), module);
        }
        if (volume.getEmptyDir() != null || volume.getPersistentVolumeClaim() != null) {
            return Map.of();
        }
        throw new AssertionError(module + ": volume " + volume.getName() + " is of a kind this test does not model");
    }

    private static Map<String, String> secret(List<ObjectNode> objects, String name, String module) {
        Secret secret = RenderedManifests.typed(objects, Secret.class).stream().filter(s -> s.getMetadata().getName().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError(module + " reads the Secret " + name + ", which is not rendered"));
        Map<String, String> data = new LinkedHashMap<>();
        if (secret.getData() != null) {
            secret.getData().forEach((k, v) -> data.put(k, new String(Base64.getMimeDecoder().decode(v), StandardCharsets.UTF_8)));
        }
        if (secret.getStringData() != null) {
            data.putAll(secret.getStringData());
        }
        return data;
    }

    private static Map<String, String> configMap(List<ObjectNode> objects, String name, String module) {
        ConfigMap map = RenderedManifests.typed(objects, ConfigMap.class).stream().filter(c -> c.getMetadata().getName().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError(module + " reads the ConfigMap " + name + ", which is not rendered"));
        return map.getData() == null ? Map.of() : new LinkedHashMap<>(map.getData());
    }

    private static String value(List<ObjectNode> objects, EnvVar variable, Map<String, String> env, String module) {
        if (variable.getValueFrom() == null) {
            return expand(Objects.requireNonNullElse(variable.getValue(), ""), env);
        }
        var from = variable.getValueFrom();
        if (from.getSecretKeyRef() != null) {
            String value = secret(objects, from.getSecretKeyRef().getName(), module).get(from.getSecretKeyRef().getKey());
            if (value == null) {
                throw new AssertionError(module + ": " + variable.getName() + " reads a key the Secret does not have");
            }
            return value;
        }
        if (from.getConfigMapKeyRef() != null) {
            String value = configMap(objects, from.getConfigMapKeyRef().getName(), module).get(from.getConfigMapKeyRef().getKey());
            if (value == null) {
                throw new AssertionError(module + ": " + variable.getName() + " reads a key the ConfigMap does not have");
            }
            return value;
        }
        throw new AssertionError(module + ": " + variable.getName() + " comes from a source this test does not model");
    }

    /** The kubelet's {@code $(VAR)} expansion: defined variables are replaced, others left as written. */
    private static String expand(String value, Map<String, String> env) {
        Matcher reference = REFERENCE.matcher(value);
        StringBuilder expanded = new StringBuilder();
        while (reference.find()) {
            String replacement = env.getOrDefault(reference.group(1), reference.group());
            reference.appendReplacement(expanded, Matcher.quoteReplacement(replacement));
        }
        return reference.appendTail(expanded).toString();
    }

    /** The variables the kubelet sets for every Service of the pod's namespace (docker links style). */
    private static Map<String, String> serviceLinks(List<ObjectNode> objects, String namespace) {
        Map<String, String> links = new LinkedHashMap<>();
        int address = 10;
        for (Service service : RenderedManifests.typed(objects, Service.class)) {
            if (!Objects.equals(service.getMetadata().getNamespace(), namespace) || service.getSpec().getPorts().isEmpty()) {
                continue;
            }
            String prefix = service.getMetadata().getName().toUpperCase().replace('-', '_');
            String ip = "10.96.0." + address++;
            ServicePort first = service.getSpec().getPorts().get(0);
            links.put(prefix + "_SERVICE_HOST", ip);
            links.put(prefix + "_SERVICE_PORT", String.valueOf(first.getPort()));
            links.put(prefix + "_PORT", "tcp://" + ip + ":" + first.getPort());
            for (ServicePort port : service.getSpec().getPorts()) {
                String protocol = Objects.requireNonNullElse(port.getProtocol(), "TCP");
                String base = prefix + "_PORT_" + port.getPort() + "_" + protocol;
                if (port.getName() != null) {
                    links.put(prefix + "_SERVICE_PORT_" + port.getName().toUpperCase().replace('-', '_'), String.valueOf(port.getPort()));
                }
                links.put(base, protocol.toLowerCase() + "://" + ip + ":" + port.getPort());
                links.put(base + "_PROTO", protocol.toLowerCase());
                links.put(base + "_PORT", String.valueOf(port.getPort()));
                links.put(base + "_ADDR", ip);
            }
        }
        links.put("KUBERNETES_SERVICE_HOST", "10.96.0.1");
        links.put("KUBERNETES_SERVICE_PORT", "443");
        return links;
    }

    /** Values that name a host in one of the rendered namespaces ({@code name.namespace[.svc...]}): only cluster DNS resolves them. */
    private static List<String> unresolvableNames(Map<String, String> env, List<ObjectNode> objects) {
        Set<String> namespaces = objects.stream().map(o -> o.path("metadata").path("namespace").asText())
                .filter(n -> !n.isEmpty()).collect(Collectors.toCollection(TreeSet::new));
        objects.stream().filter(o -> o.path("kind").asText().equals("Namespace"))
                .forEach(o -> namespaces.add(o.path("metadata").path("name").asText()));
        Pattern clusterName = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?\\.(" + String.join("|", namespaces) + ")(\\.svc[a-z.]*)?(?![a-z0-9.-])");
        List<String> found = new ArrayList<>();
        env.forEach((k, v) -> {
            Matcher name = clusterName.matcher(v);
            while (name.find()) {
                found.add(k + ": " + name.group());
            }
        });
        return found;
    }

    /** Container paths inside {@code value} (at its start or after {@code @ = : ,} or a blank) moved under {@code root}, in one pass. */
    private static String translate(String value, List<String> longestFirst, Path root) {
        String alternatives = longestFirst.stream().map(Pattern::quote).collect(Collectors.joining("|"));
        Matcher matcher = Pattern.compile("(?:^|(?<=[@=:,\\s]))(?:" + alternatives + ")(?=$|[/,:;\\s])").matcher(value);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            matcher.appendReplacement(out, Matcher.quoteReplacement(root + matcher.group()));
        }
        return matcher.appendTail(out).toString();
    }

    private static List<String> words(String text) {
        return Stream.of(text.trim().split("\\s+")).filter(w -> !w.isEmpty()).toList();
    }
}
