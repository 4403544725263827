package io.tidemark.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/k8s as kustomize renders it: every object parses strictly as its Kubernetes (or Strimzi) type,
 * and what refers to something (a probe to a port, a mount to a volume, a pod to a Secret, an
 * environment variable to a property) finds it.
 */
class KubernetesManifestsTest {

    /** The API types the manifests may use; a kind not listed here fails the test until it is added. */
    private static final Map<String, Class<?>> TYPES = Map.ofEntries(
            Map.entry("v1/Namespace", Namespace.class),
            Map.entry("v1/ConfigMap", ConfigMap.class),
            Map.entry("v1/Secret", Secret.class),
            Map.entry("v1/Service", Service.class),
            Map.entry("v1/PersistentVolumeClaim", PersistentVolumeClaim.class),
            Map.entry("apps/v1/Deployment", Deployment.class),
            Map.entry("batch/v1/Job", Job.class),
            Map.entry("policy/v1/PodDisruptionBudget", PodDisruptionBudget.class),
            Map.entry("autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class),
            Map.entry("networking.k8s.io/v1/Ingress", Ingress.class),
            Map.entry("networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class),
            Map.entry("kafka.strimzi.io/v1beta2/Kafka", Kafka.class),
            Map.entry("kafka.strimzi.io/v1beta2/KafkaNodePool", KafkaNodePool.class),
            Map.entry("kafka.strimzi.io/v1beta2/KafkaTopic", KafkaTopic.class));

    /** Environment variables that name a configuration property (SmallRye Config reads every env var). */
    private static final Pattern PROPERTY_VARIABLE = Pattern.compile("(TIDEMARK|QUARKUS|KAFKA|MP|SMALLRYE)_.*");

    /** Where Quarkus reads an application.properties beside the working directory /deployments. */
    private static final String CONFIG_DIR = "/deployments/config";

    private static final Map<Path, List<ObjectNode>> RENDERED = new LinkedHashMap<>();
    private static final Map<String, ServiceProperties> PROPERTIES = new HashMap<>();

    @BeforeAll
    static void render() throws Exception {
        RENDERED.putAll(RenderedManifests.all());
        assertFalse(RENDERED.isEmpty(), "no kustomization under " + RenderedManifests.k8sDir());
    }

    @Test
    void everyRenderedObjectParsesStrictlyAsItsKubernetesType() {
        List<String> problems = new ArrayList<>();
        RENDERED.forEach((kustomization, objects) -> objects.forEach(object -> {
            String type = object.path("apiVersion").asText() + "/" + object.path("kind").asText();
            Class<?> model = TYPES.get(type);
            if (type.equals(K8ssandraClusterSchema.TYPE)) {
                K8ssandraClusterSchema.problems(object).forEach(p -> problems.add(kustomization + ": " + name(object) + p));
                return;
            }
            if (model == null) {
                problems.add(kustomization + ": " + name(object) + ": no model for " + type + " in this test");
                return;
            }
            StrictModel.problems(object, model).forEach(p -> problems.add(kustomization + ": " + name(object) + p));
        }));
        assertEquals(List.of(), problems);
    }

    @Test
    void theStrimziTopicsParseStrictlyAsKafkaTopics() throws Exception {
        Path topics = RenderedManifests.k8sDir().resolve("strimzi/topics.yaml");
        List<ObjectNode> objects = RenderedManifests.documents(Files.readString(topics));
        assertEquals(3, objects.size(), "raw, clean and dead-letter");
        List<String> problems = new ArrayList<>();
        for (ObjectNode object : objects) {
            String apiVersion = object.path("apiVersion").asText();
            if (!object.path("kind").asText().equals(KafkaTopic.RESOURCE_KIND)
                    || !KafkaTopic.VERSIONS.stream().map(v -> KafkaTopic.RESOURCE_GROUP + "/" + v).toList().contains(apiVersion)) {
                problems.add(name(object) + ": not a KafkaTopic version Strimzi serves: " + apiVersion);
            }
            StrictModel.problems(object, KafkaTopic.class).forEach(p -> problems.add(name(object) + p));
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void everyProbeAndServiceNamesAPortOfItsContainers() {
        List<String> problems = new ArrayList<>();
        forEachWorkload((kustomization, workload) -> {
            PodSpec pod = workload.template().getSpec();
            for (Container container : pod.getContainers()) {
                String where = kustomization + ": " + container.getName();
                for (Probe probe : Stream.of(container.getStartupProbe(), container.getReadinessProbe(),
                        container.getLivenessProbe()).filter(Objects::nonNull).toList()) {
                    IntOrString port = probe.getHttpGet() != null ? probe.getHttpGet().getPort()
                            : probe.getTcpSocket() != null ? probe.getTcpSocket().getPort() : null;
                    if (port == null || !hasPort(container, port)) {
                        problems.add(where + ": a probe names port " + describe(port) + ", which the container does not declare");
                    }
                }
                Map<String, String> annotations = workload.template().getMetadata().getAnnotations();
                String scraped = annotations == null ? null : annotations.get("prometheus.io/port");
                if (scraped != null && !hasPort(container, new IntOrString(Integer.parseInt(scraped)))) {
                    problems.add(where + ": prometheus.io/port " + scraped + " is not a container port");
                }
            }
        });
        RENDERED.forEach((kustomization, objects) -> typed(objects, Service.class).forEach(service -> {
            List<Deployment> selected = typed(objects, Deployment.class).stream().filter(d -> d.getSpec().getTemplate()
                    .getMetadata().getLabels().entrySet().containsAll(service.getSpec().getSelector().entrySet())).toList();
            if (selected.isEmpty()) {
                problems.add(kustomization + ": Service " + service.getMetadata().getName() + " selects no pod");
            }
            for (ServicePort port : service.getSpec().getPorts()) {
                for (Deployment deployment : selected) {
                    if (deployment.getSpec().getTemplate().getSpec().getContainers().stream()
                            .noneMatch(c -> hasPort(c, port.getTargetPort()))) {
                        problems.add(kustomization + ": Service " + service.getMetadata().getName() + " targets port "
                                + describe(port.getTargetPort()) + ", which " + deployment.getMetadata().getName() + " does not declare");
                    }
                }
            }
        }));
        assertEquals(List.of(), problems);
    }

    @Test
    void everyVolumeMountHasAVolumeAndEveryVolumeItsSource() {
        List<String> problems = new ArrayList<>();
        forEachWorkload((kustomization, workload) -> {
            List<ObjectNode> objects = RENDERED.get(kustomization);
            PodSpec pod = workload.template().getSpec();
            Set<String> volumes = Set.copyOf(pod.getVolumes().stream().map(Volume::getName).toList());
            for (Container container : pod.getContainers()) {
                for (VolumeMount mount : container.getVolumeMounts()) {
                    if (!volumes.contains(mount.getName())) {
                        problems.add(kustomization + ": " + container.getName() + " mounts volume " + mount.getName()
                                + ", which the pod does not have");
                    }
                }
            }
            for (Volume volume : pod.getVolumes()) {
                if (volume.getSecret() != null && !exists(objects, "Secret", volume.getSecret().getSecretName())) {
                    problems.add(kustomization + ": volume " + volume.getName() + " names Secret "
                            + volume.getSecret().getSecretName() + ", which is not rendered");
                }
                if (volume.getConfigMap() != null && !exists(objects, "ConfigMap", volume.getConfigMap().getName())) {
                    problems.add(kustomization + ": volume " + volume.getName() + " names ConfigMap "
                            + volume.getConfigMap().getName() + ", which is not rendered");
                }
                if (volume.getPersistentVolumeClaim() != null
                        && !exists(objects, "PersistentVolumeClaim", volume.getPersistentVolumeClaim().getClaimName())) {
                    problems.add(kustomization + ": volume " + volume.getName() + " claims "
                            + volume.getPersistentVolumeClaim().getClaimName() + ", which is not rendered");
                }
            }
        });
        assertEquals(List.of(), problems);
    }

    @Test
    void everySecretAndConfigMapAPodReadsIsRendered() {
        List<String> problems = new ArrayList<>();
        forEachWorkload((kustomization, workload) -> {
            List<ObjectNode> objects = RENDERED.get(kustomization);
            for (Container container : workload.template().getSpec().getContainers()) {
                for (EnvFromSource from : container.getEnvFrom()) {
                    if (from.getConfigMapRef() != null && !exists(objects, "ConfigMap", from.getConfigMapRef().getName())) {
                        problems.add(kustomization + ": " + container.getName() + " reads ConfigMap " + from.getConfigMapRef().getName());
                    }
                    if (from.getSecretRef() != null && !exists(objects, "Secret", from.getSecretRef().getName())) {
                        problems.add(kustomization + ": " + container.getName() + " reads Secret " + from.getSecretRef().getName());
                    }
                }
                for (EnvVar env : container.getEnv()) {
                    var source = env.getValueFrom();
                    if (source != null && source.getSecretKeyRef() != null
                            && !exists(objects, "Secret", source.getSecretKeyRef().getName())) {
                        problems.add(kustomization + ": " + env.getName() + " reads Secret " + source.getSecretKeyRef().getName());
                    }
                    if (source != null && source.getConfigMapKeyRef() != null) {
                        String map = source.getConfigMapKeyRef().getName();
                        String key = source.getConfigMapKeyRef().getKey();
                        if (!exists(objects, "ConfigMap", map)) {
                            problems.add(kustomization + ": " + env.getName() + " reads ConfigMap " + map);
                        } else if (typed(objects, ConfigMap.class).stream().noneMatch(c -> c.getMetadata().getName().equals(map)
                                && c.getData() != null && c.getData().containsKey(key))) {
                            problems.add(kustomization + ": " + env.getName() + " reads key " + key + " of ConfigMap " + map);
                        }
                    }
                }
            }
        });
        assertEquals(List.of(), problems, "these are not rendered (kustomize renames only what it generates)");
    }

    @Test
    void everyConfigurationVariableSetsAPropertyItsServiceReads() throws Exception {
        List<String> problems = new ArrayList<>();
        for (var entry : RENDERED.entrySet()) {
            Path kustomization = entry.getKey();
            List<ObjectNode> objects = entry.getValue();
            // A ConfigMap shared through envFrom: each of its variables must be read by some service that imports it.
            Map<String, List<ServiceProperties>> importers = new HashMap<>();
            for (Deployment deployment : typed(objects, Deployment.class)) {
                for (Container container : deployment.getSpec().getTemplate().getSpec().getContainers()) {
                    ServiceProperties service = properties(container.getName());
                    for (EnvVar env : container.getEnv()) {
                        if (PROPERTY_VARIABLE.matcher(env.getName()).matches() && !service.readsEnvironmentVariable(env.getName())) {
                            problems.add(kustomization + ": " + container.getName() + " sets " + env.getName()
                                    + ", which is no property " + container.getName() + " reads");
                        }
                    }
                    container.getEnvFrom().stream().filter(f -> f.getConfigMapRef() != null).forEach(f ->
                            importers.computeIfAbsent(f.getConfigMapRef().getName(), k -> new ArrayList<>()).add(service));
                }
            }
            for (ConfigMap map : typed(objects, ConfigMap.class)) {
                List<ServiceProperties> readers = importers.getOrDefault(map.getMetadata().getName(), List.of());
                for (String variable : map.getData().keySet()) {
                    if (PROPERTY_VARIABLE.matcher(variable).matches()
                            && readers.stream().noneMatch(s -> s.readsEnvironmentVariable(variable))) {
                        problems.add(kustomization + ": ConfigMap " + map.getMetadata().getName() + " sets " + variable
                                + ", which none of " + readers.stream().map(ServiceProperties::service).toList() + " reads");
                    }
                }
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void everyKeyOfAMountedApplicationPropertiesIsAPropertyItsServiceReads() throws Exception {
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (var entry : RENDERED.entrySet()) {
            for (Deployment deployment : typed(entry.getValue(), Deployment.class)) {
                PodSpec pod = deployment.getSpec().getTemplate().getSpec();
                for (Container container : pod.getContainers()) {
                    for (VolumeMount mount : container.getVolumeMounts()) {
                        if (!mount.getMountPath().equals(CONFIG_DIR)) {
                            continue;
                        }
                        Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
                        Secret secret = typed(entry.getValue(), Secret.class).stream()
                                .filter(s -> s.getMetadata().getName().equals(volume.getSecret().getSecretName())).findFirst().orElseThrow();
                        Properties file = new Properties();
                        file.load(new StringReader(new String(Base64.getMimeDecoder().decode(
                                secret.getData().get("application.properties")), StandardCharsets.UTF_8)));
                        for (String key : file.stringPropertyNames()) {
                            checked++;
                            if (!properties(container.getName()).readsProperty(key)) {
                                problems.add(entry.getKey() + ": Secret " + secret.getMetadata().getName() + " sets " + key
                                        + ", which is no property " + container.getName() + " reads");
                            }
                        }
                    }
                }
            }
        }
        assertTrue(checked > 0, "no application.properties is mounted at " + CONFIG_DIR);
        assertEquals(List.of(), problems);
    }

    @Test
    void thePropertyCheckKnowsTheServicesOwnMappingsAndTheirExtensions() throws Exception {
        // So that the test above cannot pass by knowing nothing.
        ServiceProperties mart = properties("mart-service");
        assertTrue(mart.readsEnvironmentVariable("TIDEMARK_MART_EXPORT_ROOT"), "from MartConfig");
        assertTrue(mart.readsEnvironmentVariable("TIDEMARK_MART_TOKENS_DASHBOARD_WEB_TOKEN"), "a map key of MartConfig");
        assertTrue(mart.readsEnvironmentVariable("QUARKUS_CASSANDRA_CONTACT_POINTS"), "from the Cassandra extension");
        assertFalse(mart.readsEnvironmentVariable("TIDEMARK_MART_STORAGE_ROOT"), "no property is called so");
        assertFalse(properties("ingest-service").readsEnvironmentVariable("QUARKUS_CASSANDRA_CONTACT_POINTS"),
                "ingest has no Cassandra extension");
        assertTrue(properties("ingest-service").readsProperty("tidemark.ingest.sources.web.write-keys"));
    }

    @Test
    void everyContainerImageHasATag() {
        List<String> untagged = new ArrayList<>();
        forEachWorkload((kustomization, workload) -> workload.template().getSpec().getContainers()
                .stream().map(Container::getImage).filter(image -> !image.matches(".+:[A-Za-z0-9_.-]+$") || image.endsWith(":latest"))
                .forEach(image -> untagged.add(kustomization + ": " + image)));
        assertEquals(List.of(), untagged);
    }

    private static ServiceProperties properties(String service) {
        return PROPERTIES.computeIfAbsent(service, s -> {
            try {
                return ServiceProperties.of(s);
            } catch (Exception e) {
                throw new IllegalStateException("cannot read the properties of " + s + " (the container must be named "
                        + "after its module)", e);
            }
        });
    }

    private static String describe(IntOrString port) {
        return port == null ? "(none)" : port.getStrVal() != null ? port.getStrVal() : String.valueOf(port.getIntVal());
    }

    private static boolean hasPort(Container container, IntOrString port) {
        if (port == null) {
            return false;
        }
        return container.getPorts().stream().anyMatch(p -> port.getStrVal() != null
                ? port.getStrVal().equals(p.getName()) : port.getIntVal().equals(p.getContainerPort()));
    }

    private static boolean exists(List<ObjectNode> objects, String kind, String name) {
        return objects.stream().anyMatch(o -> o.path("kind").asText().equals(kind)
                && o.path("metadata").path("name").asText().equals(name));
    }

    private static <T> List<T> typed(List<ObjectNode> objects, Class<T> type) {
        return RenderedManifests.typed(objects, type);
    }

    private interface WorkloadCheck {
        void check(Path kustomization, Workload workload);
    }

    /** Every Deployment and Job, by its pod template. */
    private static void forEachWorkload(WorkloadCheck check) {
        RENDERED.forEach((kustomization, objects) -> Workload.all(objects).forEach(w -> check.check(kustomization, w)));
    }

    private static String name(JsonNode object) {
        return RenderedManifests.name(object);
    }
}
