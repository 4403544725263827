package io.tidemark.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressServiceBackend;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.nodepool.ProcessRoles;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.tidemark.schema.Replication;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What refers to something across objects in the overlays (and the base): policies, Ingresses,
 * autoscalers and disruption budgets to pods, Services and Deployments; resources within their limits;
 * the schema Job to the release's schema image and its Cassandra's size; prod at three replicas of everything that stores data.
 */
class OverlayManifestsTest {


    private static Map<Path, List<ObjectNode>> rendered;

    @BeforeAll
    static void render() throws Exception {
        rendered = RenderedManifests.all();
        for (String overlay : List.of("dev", "prod")) {
            assertTrue(rendered.containsKey(RenderedManifests.k8sDir().resolve("overlays").resolve(overlay)), overlay + " is rendered");
        }
    }

    @Test
    void theObjectCountsOfEachKustomizationArePrinted() {
        // For deploy/k8s/README.md; the build log shows them.
        rendered.forEach((kustomization, objects) -> {
            Map<String, Long> byKind = objects.stream().collect(Collectors.groupingBy(o -> o.path("kind").asText(),
                    TreeMap::new, Collectors.counting()));
            System.out.println("[object counts] " + RenderedManifests.k8sDir().relativize(kustomization) + ": "
                    + objects.size() + " " + byKind);
        });
        assertTrue(rendered.values().stream().allMatch(objects -> !objects.isEmpty()));
    }

    @Test
    void everyNetworkPolicySelectsPodsThatDeclareItsPorts() {
        List<String> problems = new ArrayList<>();
        rendered.forEach((kustomization, objects) -> {
            List<Workload> workloads = Workload.all(objects);
            for (NetworkPolicy policy : RenderedManifests.typed(objects, NetworkPolicy.class)) {
                String where = kustomization + ": NetworkPolicy " + policy.getMetadata().getName();
                List<Workload> selected = workloads.stream().filter(w -> selects(policy.getSpec().getPodSelector(), w.labels())).toList();
                if (selected.isEmpty()) {
                    problems.add(where + " selects no pod");
                }
                policy.getSpec().getIngress().stream().flatMap(rule -> rule.getPorts().stream()).map(NetworkPolicyPort::getPort)
                        .filter(Objects::nonNull).forEach(port -> selected.stream()
                                .filter(w -> w.template().getSpec().getContainers().stream().noneMatch(c -> hasPort(c, port)))
                                .forEach(w -> problems.add(where + " allows port " + describe(port) + ", which " + w.name() + " does not declare")));
            }
        });
        assertEquals(List.of(), problems);
    }

    @Test
    void namespacesWithPoliciesDenyIngressByDefault() {
        rendered.forEach((kustomization, objects) -> {
            List<NetworkPolicy> policies = RenderedManifests.typed(objects, NetworkPolicy.class);
            if (!policies.isEmpty()) {
                assertTrue(policies.stream().anyMatch(p -> isEmpty(p.getSpec().getPodSelector().getMatchLabels())
                        && isEmpty(p.getSpec().getPodSelector().getMatchExpressions())
                        && p.getSpec().getPolicyTypes().contains("Ingress") && p.getSpec().getIngress().isEmpty()),
                        kustomization + ": no default-deny ingress policy");
            }
        });
    }

    @Test
    void everyIngressBackendIsAPortOfARenderedService() {
        List<String> problems = new ArrayList<>();
        rendered.forEach((kustomization, objects) -> {
            List<Service> services = RenderedManifests.typed(objects, Service.class);
            for (Ingress ingress : RenderedManifests.typed(objects, Ingress.class)) {
                String where = kustomization + ": Ingress " + ingress.getMetadata().getName();
                List<String> tlsHosts = ingress.getSpec().getTls().stream().flatMap(t -> t.getHosts().stream()).toList();
                ingress.getSpec().getRules().forEach(rule -> {
                    if (!tlsHosts.contains(rule.getHost())) {
                        problems.add(where + ": host " + rule.getHost() + " has no TLS");
                    }
                    rule.getHttp().getPaths().forEach(path -> {
                        IngressServiceBackend backend = path.getBackend().getService();
                        Service service = services.stream().filter(s -> s.getMetadata().getName().equals(backend.getName()))
                                .findFirst().orElse(null);
                        if (service == null) {
                            problems.add(where + ": backend Service " + backend.getName() + " is not rendered");
                        } else if (service.getSpec().getPorts().stream().noneMatch(p -> backend.getPort().getName() != null
                                ? backend.getPort().getName().equals(p.getName()) : backend.getPort().getNumber().equals(p.getPort()))) {
                            problems.add(where + ": Service " + backend.getName() + " has no port " + backend.getPort());
                        }
                    });
                });
            }
        });
        assertEquals(List.of(), problems);
    }

    @Test
    void noIngressReachesDedupOrAManagementPort() {
        rendered.forEach((kustomization, objects) -> RenderedManifests.typed(objects, Ingress.class).forEach(ingress ->
                ingress.getSpec().getRules().forEach(rule -> rule.getHttp().getPaths().forEach(path -> {
                    IngressServiceBackend backend = path.getBackend().getService();
                    assertTrue(!backend.getName().equals("dedup-service") && !"management".equals(backend.getPort().getName()),
                            kustomization + ": Ingress " + ingress.getMetadata().getName() + " exposes " + backend);
                }))));
    }

    @Test
    void everyAutoscalerAndDisruptionBudgetTargetsADeploymentAndLeavesADrainPossible() {
        List<String> problems = new ArrayList<>();
        rendered.forEach((kustomization, objects) -> {
            List<Deployment> deployments = RenderedManifests.typed(objects, Deployment.class);
            List<HorizontalPodAutoscaler> autoscalers = RenderedManifests.typed(objects, HorizontalPodAutoscaler.class);
            for (HorizontalPodAutoscaler hpa : autoscalers) {
                var target = hpa.getSpec().getScaleTargetRef();
                if (!"Deployment".equals(target.getKind()) || deployments.stream().noneMatch(d -> d.getMetadata().getName().equals(target.getName()))) {
                    problems.add(kustomization + ": HPA " + hpa.getMetadata().getName() + " targets " + target.getKind() + " "
                            + target.getName() + ", which is not rendered");
                }
                // Each apply would set the Deployment's count back, whatever the autoscaler had scaled it to.
                deployments.stream().filter(d -> d.getMetadata().getName().equals(target.getName())
                        && d.getSpec().getReplicas() != null).forEach(d -> problems.add(kustomization + ": Deployment "
                        + d.getMetadata().getName() + " sets replicas " + d.getSpec().getReplicas() + " beside HPA "
                        + hpa.getMetadata().getName() + ", so every apply scales it back"));
                if (hpa.getSpec().getMinReplicas() > hpa.getSpec().getMaxReplicas()) {
                    problems.add(kustomization + ": HPA " + hpa.getMetadata().getName() + " has minReplicas over maxReplicas");
                }
            }
            for (PodDisruptionBudget pdb : RenderedManifests.typed(objects, PodDisruptionBudget.class)) {
                String where = kustomization + ": PDB " + pdb.getMetadata().getName();
                List<Deployment> selected = deployments.stream().filter(d -> selects(pdb.getSpec().getSelector(),
                        d.getSpec().getTemplate().getMetadata().getLabels())).toList();
                if (selected.isEmpty()) {
                    problems.add(where + " selects no Deployment's pods");
                }
                IntOrString minAvailable = pdb.getSpec().getMinAvailable();
                for (Deployment deployment : selected) {
                    int fewest = autoscalers.stream().filter(h -> h.getSpec().getScaleTargetRef().getName().equals(deployment.getMetadata().getName()))
                            .map(h -> h.getSpec().getMinReplicas()).findFirst().orElse(deployment.getSpec().getReplicas());
                    if (minAvailable != null && minAvailable.getIntVal() != null && minAvailable.getIntVal() >= fewest) {
                        problems.add(where + ": minAvailable " + minAvailable.getIntVal() + " with as few as " + fewest
                                + " pods of " + deployment.getMetadata().getName() + " blocks every drain");
                    }
                    IntOrString maxUnavailable = pdb.getSpec().getMaxUnavailable();
                    if (maxUnavailable != null && maxUnavailable.getIntVal() != null && maxUnavailable.getIntVal() == 0) {
                        problems.add(where + ": maxUnavailable 0 blocks every drain");
                    }
                }
            }
        });
        assertEquals(List.of(), problems);
    }

    @Test
    void everyServiceJvmCountsTheProcessorsItWasMeasuredOnNotTheNodes() {
        // No CPU limit is set, so the JVM would count the node's cores, and size its threads and their memory by them.
        List<String> problems = new ArrayList<>();
        int[] containers = {0};
        rendered.forEach((kustomization, objects) -> RenderedManifests.typed(objects, Deployment.class).forEach(deployment -> {
            for (Container container : deployment.getSpec().getTemplate().getSpec().getContainers()) {
                if (!container.getImage().startsWith("tidemark/")) {
                    continue;
                }
                containers[0]++;
                String options = jvmOptions(container);
                if (!options.contains("-XX:ActiveProcessorCount=2")) {
                    problems.add(kustomization + ": " + deployment.getMetadata().getName() + " starts its JVM without "
                            + "-XX:ActiveProcessorCount=2: " + options.trim());
                }
            }
        }));
        assertTrue(containers[0] >= 6, "the three services in both overlays: " + containers[0]);
        assertEquals(List.of(), problems);
    }

    /** The JVM options a container's process gets: its command, the jvm.options file it names, JAVA_OPTS_APPEND. */
    private static String jvmOptions(Container container) {
        List<String> command = Objects.requireNonNullElse(container.getCommand(), List.of());
        StringBuilder options = new StringBuilder(String.join(" ", command));
        if (command.contains("@/deployments/jvm.options")) {
            Path file = RenderedManifests.root().resolve(container.getName()).resolve("src/main/jvm/jvm.options");
            try {
                options.append(' ').append(java.nio.file.Files.readString(file));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        container.getEnv().stream().filter(env -> "JAVA_OPTS_APPEND".equals(env.getName()))
                .forEach(env -> options.append(' ').append(Objects.requireNonNullElse(env.getValue(), "")));
        return options.toString();
    }

    @Test
    void everyResourceRequestIsWithinItsLimit() {
        // Every requests/limits pair in any object: containers, Strimzi node pools, K8ssandra data centres.
        List<String> problems = new ArrayList<>();
        int[] pairs = {0};
        rendered.forEach((kustomization, objects) -> objects.forEach(object -> walk(object, RenderedManifests.name(object), (path, node) -> {
            JsonNode requests = node.get("requests");
            JsonNode limits = node.get("limits");
            if (requests == null || limits == null || !requests.isObject() || !limits.isObject()) {
                return;
            }
            pairs[0]++;
            limits.properties().forEach(limit -> {
                JsonNode request = requests.get(limit.getKey());
                if (request != null && amount(request).compareTo(amount(limit.getValue())) > 0) {
                    problems.add(kustomization + ": " + path + ": " + limit.getKey() + " request " + request.asText()
                            + " over its limit " + limit.getValue().asText());
                }
            });
        })));
        assertTrue(pairs[0] > 0, "no requests/limits pair found");
        assertEquals(List.of(), problems);
    }

    @Test
    void theSchemaJobRunsThisReleasesSchemaImageWithAReplicationItsCassandraCanHold() {
        for (String overlay : List.of("dev", "prod")) {
            List<ObjectNode> objects = rendered.get(RenderedManifests.k8sDir().resolve("overlays").resolve(overlay));
            Workload job = Workload.all(objects).stream().filter(w -> w.kind().equals("Job")).findFirst().orElseThrow(
                    () -> new AssertionError(overlay + " has no schema Job"));
            Container container = job.template().getSpec().getContainers().get(0);
            assertEquals("cassandra-schema", container.getName(), overlay + ": the container is named after its module");
            String serviceImage = RenderedManifests.typed(objects, Deployment.class).get(0).getSpec().getTemplate().getSpec()
                    .getContainers().get(0).getImage();
            assertEquals("tidemark/cassandra-schema:" + serviceImage.substring(serviceImage.indexOf(':') + 1), container.getImage(),
                    overlay + ": the schema of the release the services run");
            Replication replication = Replication.parse(container.getEnv().stream()
                    .filter(e -> e.getName().equals("TIDEMARK_SCHEMA_REPLICATION")).findFirst().orElseThrow().getValue());
            // One copy per node up to three: a factor over a data centre's size fails every QUORUM write.
            Map<String, Integer> expected = new TreeMap<>();
            ObjectNode cassandra = objects.stream().filter(o -> o.path("kind").asText().equals("K8ssandraCluster")).findFirst()
                    .orElseThrow(() -> new AssertionError(overlay + " has no K8ssandraCluster"));
            cassandra.path("spec").path("cassandra").path("datacenters").forEach(dc ->
                    expected.put(dc.path("metadata").path("name").asText(), Math.min(3, dc.path("size").asInt())));
            assertEquals(expected, new TreeMap<>(replication.datacenters()), overlay + ": " + replication);
        }
    }

    @Test
    void martRunsSeveralReplicasOnlyOnABucketAndProdDoes() {
        List<String> problems = new ArrayList<>();
        rendered.forEach((kustomization, objects) -> {
            for (Deployment mart : RenderedManifests.typed(objects, Deployment.class)) {
                if (!mart.getMetadata().getName().equals("mart-service")) {
                    continue;
                }
                boolean bucket = mart.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                        .anyMatch(e -> e.getName().equals("TIDEMARK_MART_STORE_KIND") && "s3".equals(e.getValue()));
                int replicas = mart.getSpec().getReplicas();
                String strategy = mart.getSpec().getStrategy().getType();
                boolean volume = mart.getSpec().getTemplate().getSpec().getVolumes().stream()
                        .anyMatch(v -> v.getPersistentVolumeClaim() != null);
                // A local store is one replica's own disk: a second replica, or a rolling overlap, would not see it.
                if (!bucket && (replicas != 1 || !"Recreate".equals(strategy))) {
                    problems.add(kustomization + ": mart without a bucket runs " + replicas + " replicas with " + strategy);
                }
                if (bucket && (replicas < 2 || !"RollingUpdate".equals(strategy) || volume)) {
                    problems.add(kustomization + ": mart on a bucket runs " + replicas + " replicas with " + strategy
                            + (volume ? " and a persistent volume" : ""));
                }
                if (kustomization.endsWith(Path.of("overlays", "prod")) && !bucket) {
                    problems.add(kustomization + ": prod's mart has no bucket");
                }
            }
        });
        assertEquals(List.of(), problems);
    }

    @Test
    void prodKeepsThreeCopiesOfEveryRecordAndRow() {
        List<ObjectNode> prod = rendered.get(RenderedManifests.k8sDir().resolve("overlays/prod"));
        List<KafkaNodePool> pools = RenderedManifests.typed(prod, KafkaNodePool.class);
        assertEquals(3, pools.stream().filter(p -> p.getSpec().getRoles().contains(ProcessRoles.CONTROLLER))
                .mapToInt(p -> p.getSpec().getReplicas()).sum(), "KRaft controllers");
        assertEquals(3, pools.stream().filter(p -> p.getSpec().getRoles().contains(ProcessRoles.BROKER))
                .mapToInt(p -> p.getSpec().getReplicas()).sum(), "brokers");
        ObjectNode kafka = prod.stream().filter(o -> o.path("kind").asText().equals("Kafka")).findFirst().orElseThrow();
        assertEquals("enabled", kafka.path("metadata").path("annotations").path("strimzi.io/kraft").asText());
        assertEquals("enabled", kafka.path("metadata").path("annotations").path("strimzi.io/node-pools").asText());
        List<KafkaTopic> topics = RenderedManifests.typed(prod, KafkaTopic.class);
        assertEquals(3, topics.size());
        for (KafkaTopic topic : topics) {
            assertEquals(3, topic.getSpec().getReplicas(), topic.getMetadata().getName());
            assertEquals(2, ((Number) topic.getSpec().getConfig().get("min.insync.replicas")).intValue(), topic.getMetadata().getName());
            assertEquals("kafka", topic.getMetadata().getNamespace());
        }
        ObjectNode cassandra = prod.stream().filter(o -> o.path("kind").asText().equals("K8ssandraCluster")).findFirst().orElseThrow();
        JsonNode datacenters = cassandra.path("spec").path("cassandra").path("datacenters");
        assertEquals(1, datacenters.size());
        assertEquals("dc1", datacenters.get(0).path("metadata").path("name").asText(), "QUARKUS_CASSANDRA_LOCAL_DATACENTER");
        assertEquals(3, datacenters.get(0).path("size").asInt());
    }

    private interface NodeVisitor {
        void visit(String path, JsonNode node);
    }

    private static void walk(JsonNode node, String path, NodeVisitor visitor) {
        if (node.isObject()) {
            visitor.visit(path, node);
            node.properties().forEach(e -> walk(e.getValue(), path + "." + e.getKey(), visitor));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                walk(node.get(i), path + "[" + i + "]", visitor);
            }
        }
    }

    private static boolean isEmpty(Object selectorPart) {
        return selectorPart == null || selectorPart instanceof Map<?, ?> m && m.isEmpty()
                || selectorPart instanceof List<?> l && l.isEmpty();
    }

    private static BigDecimal amount(JsonNode quantity) {
        return Quantity.getAmountInBytes(new Quantity(quantity.asText()));
    }

    /** Whether a label selector (matchLabels and matchExpressions) selects pods with these labels. */
    static boolean selects(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) {
            return false;
        }
        Map<String, String> have = labels == null ? Map.of() : labels;
        if (selector.getMatchLabels() != null && !have.entrySet().containsAll(selector.getMatchLabels().entrySet())) {
            return false;
        }
        for (LabelSelectorRequirement requirement : selector.getMatchExpressions() == null ? List.<LabelSelectorRequirement>of()
                : selector.getMatchExpressions()) {
            String value = have.get(requirement.getKey());
            boolean ok = switch (requirement.getOperator()) {
                case "In" -> value != null && requirement.getValues().contains(value);
                case "NotIn" -> value == null || !requirement.getValues().contains(value);
                case "Exists" -> value != null;
                case "DoesNotExist" -> value == null;
                default -> throw new IllegalArgumentException(requirement.getOperator());
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static boolean hasPort(Container container, IntOrString port) {
        return container.getPorts().stream().anyMatch(p -> port.getStrVal() != null
                ? port.getStrVal().equals(p.getName()) : port.getIntVal().equals(p.getContainerPort()));
    }

    private static String describe(IntOrString port) {
        return port.getStrVal() != null ? port.getStrVal() : String.valueOf(port.getIntVal());
    }
}
