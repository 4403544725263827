package io.tidemark.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.tidemark.testsupport.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every Deployment of base, overlays/dev and overlays/prod started as its pod would start it, from the
 * packaged services ({@code <service>/target/quarkus-app}) against the real Kafka and Cassandra of the local
 * stack: the probes answer, an event sent to ingest with the Secret's write key is stored by dedup and
 * exported by mart as Parquet onto mart's volume (and, for prod's mart, into its bucket); each probe answers within
 * the time its period and failure threshold give, and each pod ends within its terminationGracePeriodSeconds after
 * SIGTERM. With the examples' placeholders unchanged, or with Secrets that set nothing, every Deployment that mounts
 * them refuses to start and names the setting.
 *
 * <p>What "as its pod would" means here ({@link PodLaunch}):
 * <ul>
 *   <li>A directory stands for the container's root file system: the image's files are what
 *   {@code src/main/docker/Dockerfile.jvm} COPYs (linked from the package), every volume mount a directory of
 *   its own at its mount path, Secret and ConfigMap volumes holding their rendered keys as files.</li>
 *   <li>The process is the container's command and args, or the image's ENTRYPOINT; mart's is the image's
 *   {@code run-java.sh}, which is not here, so its {@code java <default options> $JAVA_OPTS_APPEND -jar $JAVA_APP_JAR}
 *   is run instead (options as in {@link PodLaunch#RUN_JAVA_DEFAULT_OPTIONS}). {@code java} is this JVM's
 *   (OpenJDK 17 as in the image), started in the container's working directory.</li>
 *   <li>The environment is only what the kubelet gives: the image's ENV, the Services' link variables,
 *   {@code envFrom}, then {@code env} ({@code value}, {@code secretKeyRef}, {@code configMapKeyRef}), all from
 *   the rendered objects; nothing of the test JVM's environment but PATH.</li>
 * </ul>
 * What cannot be the same here, each printed per Deployment as {@code [pod] ... override}:
 * <ul>
 *   <li>A process cannot be given another root, so every container path in an argument or an env value
 *   (a mount path, the image's {@code /deployments}) is prefixed with the directory standing for the root,
 *   generically, wherever the value names it ({@code /var/lib/tidemark/marts} becomes
 *   {@code <root>/var/lib/tidemark/marts}).</li>
 *   <li>Cluster DNS names do not resolve here: {@value #KAFKA_IN_CLUSTER} and {@value #CASSANDRA_IN_CLUSTER}
 *   become the local stack's Kafka and Cassandra, and {@code QUARKUS_CASSANDRA_LOCAL_DATACENTER} its data centre
 *   ({@code datacenter1}, where K8ssandra's is {@code dc1}); a value still naming a host in a rendered namespace
 *   fails the test.</li>
 *   <li>Ports: others run services on 8080-8082 and 9000-9002 on this machine, so each container port is moved
 *   to a free one through the property that sets it in the service's application.properties (a container port
 *   that no property sets fails: the pod would declare a port nothing listens on); probes are asked on the port
 *   their port name maps to.</li>
 *   <li>The JVM's view of the container: {@code -XX:MaxRAM} of the memory limit, and {@code java.io.tmpdir} on the
 *   {@code /tmp} volume if there is one, else, with {@code readOnlyRootFilesystem}, under a regular file so that
 *   nothing can be created there (through {@code JDK_JAVA_OPTIONS}). As root, the test cannot make the rest of the
 *   root file system read-only; after the run it fails on any file written outside the volumes.</li>
 *   <li>The Secrets: a user copies the {@code *-example} files and replaces them through kustomize
 *   ({@link UserOverlay}); here every {@code CHANGE-ME} value becomes a random one and each example source is
 *   renamed to one of this run (the shared Cassandra holds other builds' {@code web}); a mart on a bucket gets the
 *   test's S3-compatible server (S3Proxy) as endpoint and keys, as the example's commented lines say.</li>
 *   <li>mart exports only this run's sources ({@code TIDEMARK_MART_EXPORT_SOURCES}): the shared Cassandra holds
 *   every other build's sources, which its periodic export would otherwise write into the test's volume, holding the
 *   exporter busy.</li>
 * </ul>
 * dedup keeps its rendered consumer group, as the e2e tests do: on a shared broker another member of the group may
 * store the event, which the export then finds all the same.
 *
 * <p>Run time: a Deployment whose process would be identical to one already listed (same command, environment,
 * mounted files and probes: {@link PodLaunch#signature()}) is not started again; that run proves it, and the test
 * says so. The overlays differ from base in replicas, CPU requests, autoscaling and disruption budgets, which do not
 * reach the process, and in prod's mart (on a bucket, its volume an emptyDir), which does: with one user's secrets
 * for all three, four processes stand for the nine Deployments (ingest, dedup, mart of base and dev, mart of prod),
 * all started at once; the event goes through once per distinct ingest and mart pair. The refusal cases start the
 * distinct processes that mount a Secret (ingest; mart of base and dev; mart of prod), with placeholders and with
 * nothing set, six at once.
 * Measured on two cores shared with other builds: 57 s for the started pods and 32 s for the refusals at a load
 * average of 15; at over 30, 170 s for the pods, most of it the JVMs' start (45-60 s each under that load).
 */
class DeploymentsStartAsPodsIT {

    static final String KAFKA_IN_CLUSTER = "tidemark-kafka-bootstrap.kafka:9092";
    static final String CASSANDRA_IN_CLUSTER = "tidemark-dc1-service.cassandra:9042";
    private static final Map<String, String> ADDRESSES = Map.of(
            KAFKA_IN_CLUSTER, System.getProperty("tidemark.test.kafka", "127.0.0.1:9092"),
            CASSANDRA_IN_CLUSTER, System.getProperty("tidemark.test.cassandra", "127.0.0.1:9042"));
    private static final Map<String, String> VARIABLES = Map.of("QUARKUS_CASSANDRA_LOCAL_DATACENTER",
            System.getProperty("tidemark.test.cassandra.datacenter", "datacenter1"));
    private static final List<String> KUSTOMIZATIONS = List.of("base", "overlays/dev", "overlays/prod");
    private static final String PLACEHOLDER = "CHANGE-ME";
    /** dedup may first work through a backlog of the raw topic: in a clean build its consumer group starts at the beginning. */
    private static final Duration PIPELINE_PATIENCE = Duration.ofSeconds(150);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path WORK = Path.of("target", "pods").toAbsolutePath();

    private static S3ProxyServer bucket;
    private static Map<String, String> bucketSettings;

    @AfterAll
    static void stopBucket() {
        if (bucket != null) {
            bucket.stop();
        }
    }

    @Test
    void everyDeploymentOfEveryOverlayStartsAsItsPodWouldAndAnEventLandsOnMartsVolume() throws Exception {
        String run = "pt" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        Path dir = Files.createDirectories(WORK.resolve(run));
        Map<String, List<PodLaunch>> byKustomization = new LinkedHashMap<>();
        for (String kustomization : KUSTOMIZATIONS) {
            boolean onBucket = martEnv(rendered(kustomization)).map(env -> "s3".equals(env.get("TIDEMARK_MART_STORE_KIND"))).orElse(false);
            Map<String, String> extra = onBucket ? bucket() : Map.of();
            Path kustomizationDir = dir.resolve(kustomization.replace('/', '-'));
            List<ObjectNode> objects = UserOverlay.render(kustomization, kustomizationDir.resolve("user-kustomization"),
                    (secret, example) -> userCopy(example, run, extra));
            byKustomization.put(kustomization, launches(kustomization, objects, kustomizationDir));
        }
        Map<String, PodLaunch> distinct = distinct(byKustomization);

        // Each mart process exports sources of its own: several on one source would wait for each other's lease.
        List<String> sources = sources(byKustomization.values().iterator().next(), run);
        List<PodLaunch> marts = distinct.values().stream().filter(l -> l.module().equals("mart-service")).toList();
        assertTrue(marts.size() <= sources.size(), "a source per mart process: " + marts.size() + " marts, sources " + sources);
        Map<PodLaunch, String> martSource = new LinkedHashMap<>();
        for (int i = 0; i < marts.size(); i++) {
            marts.get(i).override("TIDEMARK_MART_EXPORT_SOURCES", sources.get(i), "the shared Cassandra holds other builds' "
                    + "sources; and each mart process here exports its own one");
            martSource.put(marts.get(i), sources.get(i));
            if ("s3".equals(marts.get(i).env().get("TIDEMARK_MART_STORE_KIND"))) {
                assertEquals(S3ProxyServer.BUCKET, marts.get(i).env().get("TIDEMARK_MART_STORE_S3_BUCKET"), "the test's server has the manifest's bucket");
            }
        }
        for (PodLaunch launch : distinct.values()) {
            launch.overrides().forEach(o -> System.out.println("[pod] " + launch.name() + " override: " + o));
        }

        List<PodProcess> running = new ArrayList<>();
        List<String> late;
        try {
            for (PodLaunch launch : distinct.values()) {
                running.add(PodProcess.start(launch, launch.root().resolveSibling(launch.root().getFileName() + ".log")));
                System.out.println("[pod] " + launch.name() + " started as PID " + running.get(running.size() - 1).pid()
                        + ": " + String.join(" ", launch.command()));
            }
            for (PodProcess pod : running) {
                awaitProbes(pod);
            }
            Map<List<PodLaunch>, String> proven = new LinkedHashMap<>();
            for (Map.Entry<String, List<PodLaunch>> overlay : byKustomization.entrySet()) {
                PodLaunch ingest = distinct.get(only(overlay.getValue(), "ingest-service").signature());
                PodLaunch mart = distinct.get(only(overlay.getValue(), "mart-service").signature());
                String earlier = proven.putIfAbsent(List.of(ingest, mart), overlay.getKey());
                if (earlier != null) {
                    System.out.println("[pod] " + overlay.getKey() + ": its ingest and mart are the processes of " + earlier
                            + ", whose event is on the volume");
                    continue;
                }
                Path dayDir = eventLandsOnMartsVolume(overlay.getKey(), ingest, mart, martSource.get(mart));
                if ("s3".equals(mart.env().get("TIDEMARK_MART_STORE_KIND"))) {
                    String prefix = "source=" + martSource.get(mart) + "/" + dayDir.getFileName() + "/";
                    List<String> uploaded = bucket.keys().stream().filter(k -> k.contains(prefix) && k.endsWith(".parquet")).toList();
                    assertFalse(uploaded.isEmpty(), overlay.getKey() + ": the day is uploaded to the bucket too: " + bucket.keys());
                    System.out.println("[pod] " + overlay.getKey() + ": and in the bucket as " + uploaded);
                }
            }
        } finally {
            late = stopAll(running);
        }
        List<String> written = new ArrayList<>();
        for (PodLaunch launch : distinct.values()) {
            written.addAll(launch.writtenOutsideVolumes());
        }
        assertEquals(List.of(), late, "every pod ends within its terminationGracePeriodSeconds");
        assertEquals(List.of(), written, "nothing is written outside the volumes (readOnlyRootFilesystem)");
    }

    @Test
    void everyDeploymentWithPlaceholderOrMissingSecretsRefusesToStartAndNamesTheSetting() throws Exception {
        String run = "pt" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        Path dir = Files.createDirectories(WORK.resolve(run));
        // Per case, the Deployments that mount a Secret, and the settings their output must name (one of them).
        Map<String, List<PodLaunch>> byCase = new LinkedHashMap<>();
        Map<String, List<String>> settings = new LinkedHashMap<>();
        for (String kustomization : KUSTOMIZATIONS) {
            String name = kustomization.replace('/', '-');
            List<PodLaunch> placeholder = new ArrayList<>();
            for (PodLaunch launch : launches(kustomization, rendered(kustomization), dir.resolve("placeholder-" + name))) {
                if (placeholders(launch).isEmpty()) {
                    System.out.println("[pod] " + launch.name() + " mounts no placeholder: nothing to refuse");
                } else {
                    placeholder.add(launch);
                    settings.put(launch.signature(), placeholders(launch));
                }
            }
            assertTrue(placeholder.size() >= 2, kustomization + ": ingest's and mart's Secrets hold the examples' placeholders");
            byCase.put(kustomization + " as rendered", placeholder);

            // The user's Secrets exist but set nothing: each service must still say which setting it lacks.
            Path missingDir = dir.resolve("missing-" + name);
            List<ObjectNode> missing = UserOverlay.render(kustomization, missingDir.resolve("user-kustomization"),
                    (secret, example) -> example.lines().filter(l -> l.isBlank() || l.startsWith("#")).collect(Collectors.joining("\n")));
            List<PodLaunch> withoutSettings = new ArrayList<>();
            for (PodLaunch launch : launches(kustomization, missing, missingDir)) {
                placeholder.stream().filter(p -> p.name().equals(launch.name())).findFirst().ifPresent(twin -> {
                    withoutSettings.add(launch);
                    // What the example's keys are under: tidemark.ingest.sources., tidemark.mart.tokens.
                    settings.put(launch.signature(), placeholders(twin).stream()
                            .map(k -> String.join(".", List.of(k.split("\\.")).subList(0, 3)) + ".").distinct().toList());
                });
            }
            byCase.put(kustomization + " with Secrets that set nothing", withoutSettings);
        }
        Map<String, PodLaunch> distinct = distinct(byCase);
        List<PodProcess> running = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        try {
            for (PodLaunch launch : distinct.values()) {
                running.add(PodProcess.start(launch, launch.root().resolveSibling(launch.root().getFileName() + ".log")));
            }
            for (PodProcess pod : running) {
                PodLaunch.HttpProbe startup = pod.launch().probes().stream().filter(p -> p.kind().equals("startup")).findFirst()
                        .orElseThrow(() -> new AssertionError(pod.launch().name() + " has no startup probe"));
                OptionalInt exit = pod.awaitExit(Duration.ofSeconds((long) startup.periodSeconds() * startup.failureThreshold()));
                List<String> named = settings.get(pod.launch().signature());
                String which = pod.launch().name() + " (" + pod.launch().root().getParent().getFileName() + ")";
                if (exit.isEmpty()) {
                    problems.add(which + " still runs; it should refuse, naming one of " + named);
                } else if (exit.getAsInt() == 0) {
                    problems.add(which + " exited 0; it should refuse, naming one of " + named);
                } else if (named.stream().noneMatch(pod.output()::contains)) {
                    problems.add(which + " exited " + exit.getAsInt() + " without naming any of " + named
                            + "; its output ends: " + tail(pod.output()));
                } else {
                    System.out.println("[pod] " + which + " refuses to start (exit " + exit.getAsInt() + "), naming "
                            + named.stream().filter(pod.output()::contains).toList());
                }
            }
        } finally {
            stopAll(running);
        }
        assertEquals(List.of(), problems);
    }

    /** Sends an event to ingest with its Secret's write key for {@code source}; mart's export puts it on its volume, and its API counts it once. */
    private static Path eventLandsOnMartsVolume(String kustomization, PodLaunch ingest, PodLaunch mart, String source) throws Exception {
        Properties ingestSecret = mounted(ingest);
        Properties martSecret = mounted(mart);
        String writeKey = Optional.ofNullable(ingestSecret.getProperty("tidemark.ingest.sources." + source + ".write-keys"))
                .map(keys -> keys.split(",")[0].strip()).orElseThrow(() -> new AssertionError("ingest's Secret has no write key for " + source));
        String operatorToken = token(martSecret, name -> "true".equals(martSecret.getProperty("tidemark.mart.tokens." + name + ".operator")));
        String readToken = token(martSecret, name -> Stream.of(martSecret.getProperty("tidemark.mart.tokens." + name + ".sources", "*")
                .split(",")).map(String::strip).anyMatch(s -> s.equals("*") || s.equals(source)));

        Instant sent = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        LocalDate day = LocalDate.ofInstant(sent, ZoneOffset.UTC);
        HttpResponse<String> tracked = send(HttpRequest.newBuilder(uri(ingest, "http", "/v1/track"))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((writeKey + ":").getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("messageId", UUID.randomUUID().toString(),
                        "userId", "pod-user", "event", "Pod Started", "timestamp", sent.toString())))));
        assertEquals(200, tracked.statusCode(), kustomization + ": ingest accepts the Secret's write key: " + tracked.body());

        String exportRoot = mart.containerPath(Path.of(mart.env().get("TIDEMARK_MART_EXPORT_ROOT")));
        Path volume = mart.onVolume(exportRoot).orElseThrow(() -> new AssertionError(kustomization
                + ": mart exports to " + exportRoot + ", which is on the container's read-only root file system, on no volume"));
        Path dayDir = volume.resolve("source=" + source).resolve("event_date=" + day);
        await(kustomization + ": Parquet for " + day + " in " + dayDir).atMost(PIPELINE_PATIENCE).pollInterval(Duration.ofSeconds(2)).until(() -> {
            HttpResponse<String> export = send(HttpRequest.newBuilder(uri(mart, "http", "/api/v1/exports?source=" + source))
                    .header("Authorization", "Bearer " + operatorToken).POST(HttpRequest.BodyPublishers.noBody()));
            assertTrue(export.statusCode() == 200 || export.statusCode() == 429, "export: " + export.statusCode() + " " + export.body());
            return parquetFiles(dayDir) > 0;
        });
        HttpResponse<String> daily = send(HttpRequest.newBuilder(uri(mart, "http",
                "/api/v1/metrics/daily?source=" + source + "&from=" + day + "&to=" + day)).header("Authorization", "Bearer " + readToken));
        assertEquals(200, daily.statusCode(), daily.body());
        JsonNode days = JSON.readTree(daily.body()).get("days");
        assertEquals(1, days.size(), daily.body());
        assertEquals(1, days.get(0).get("events").asLong(), kustomization + ": the one event sent, once: " + daily.body());
        System.out.println("[pod] " + kustomization + ": the event sent to " + ingest.name() + " is in " + parquetFiles(dayDir)
                + " Parquet file(s) under " + mart.containerPath(dayDir) + " on the volume of " + mart.name());
        return dayDir;
    }

    /**
     * One launch per distinct process: a Deployment whose process would be the same as one already listed
     * (same {@link PodLaunch#signature()}) is proven by that one's run, and says so.
     */
    private static Map<String, PodLaunch> distinct(Map<String, List<PodLaunch>> byKustomization) {
        Map<String, PodLaunch> distinct = new LinkedHashMap<>();
        byKustomization.values().forEach(launches -> launches.forEach(launch -> {
            PodLaunch first = distinct.putIfAbsent(launch.signature(), launch);
            if (first != null) {
                System.out.println("[pod] " + launch.name() + " starts the same process as " + first.name()
                        + " (command, environment, mounted files, probes): proven by that run");
            }
        }));
        return distinct;
    }

    /** The user's copy of an example file: every placeholder a random secret, each source renamed to one of this run, plus {@code extra}. */
    static String userCopy(String example, String run, Map<String, String> extra) {
        StringBuilder copy = new StringBuilder();
        boolean mart = false;
        for (String line : example.split("\n")) {
            Matcher property = Pattern.compile("^([^#!=\\s][^=]*)=(.*)$").matcher(line.strip());
            if (!property.matches()) {
                copy.append(line).append('\n');
                continue;
            }
            String key = property.group(1).strip();
            String value = property.group(2).strip();
            mart |= key.startsWith("tidemark.mart.");
            Matcher source = Pattern.compile("^(tidemark\\.ingest\\.sources\\.)([^.]+)(\\..*)$").matcher(key);
            if (source.matches()) {
                key = source.group(1) + source.group(2) + "-" + run + source.group(3);
            }
            if (key.matches("tidemark\\.mart\\.tokens\\.[^.]+\\.sources")) {
                value = Stream.of(value.split(",")).map(String::strip).map(s -> s.equals("*") ? s : s + "-" + run).collect(Collectors.joining(","));
            }
            if (value.startsWith(PLACEHOLDER)) {
                // Random per run, the same in every overlay's copy (as one user's secrets would be).
                value = "podtest-" + run + "-" + Integer.toHexString(key.hashCode());
            }
            copy.append(key).append('=').append(value).append('\n');
        }
        if (mart) {
            extra.forEach((k, v) -> copy.append(k).append('=').append(v).append('\n'));
        }
        return copy.toString();
    }

    private static List<ObjectNode> rendered(String kustomization) throws Exception {
        List<ObjectNode> objects = RenderedManifests.all().get(RenderedManifests.k8sDir().resolve(kustomization));
        assertTrue(objects != null && !objects.isEmpty(), kustomization + " is rendered");
        return objects;
    }

    private static List<PodLaunch> launches(String kustomization, List<ObjectNode> objects, Path dir) throws IOException {
        List<PodLaunch> launches = new ArrayList<>();
        for (Deployment deployment : RenderedManifests.typed(objects, Deployment.class)) {
            launches.add(PodLaunch.prepare(kustomization, objects, Workload.of(deployment),
                    dir.resolve(deployment.getMetadata().getName()), ADDRESSES, VARIABLES));
        }
        assertFalse(launches.isEmpty(), kustomization + " has no Deployment");
        return launches;
    }

    private static Optional<Map<String, String>> martEnv(List<ObjectNode> objects) {
        return RenderedManifests.typed(objects, Deployment.class).stream()
                .flatMap(d -> d.getSpec().getTemplate().getSpec().getContainers().stream())
                .filter(c -> c.getName().equals("mart-service")).findFirst().map(DeploymentsStartAsPodsIT::literalEnv);
    }

    private static Map<String, String> literalEnv(Container container) {
        Map<String, String> env = new LinkedHashMap<>();
        container.getEnv().stream().filter(e -> e.getValue() != null).forEach(e -> env.put(e.getName(), e.getValue()));
        return env;
    }

    private static synchronized Map<String, String> bucket() {
        if (bucket == null) {
            bucket = new S3ProxyServer();
            Map<String, String> settings = bucket.start();
            // The bucket and the store kind come from the manifest; the endpoint and keys from the user's Secret.
            bucketSettings = new LinkedHashMap<>();
            for (String key : List.of("tidemark.mart.store.s3.endpoint", "tidemark.mart.store.s3.access-key-id",
                    "tidemark.mart.store.s3.secret-access-key")) {
                bucketSettings.put(key, settings.get(key));
            }
        }
        return bucketSettings;
    }

    /** The sources this run's ingest Secret names (renamed by {@link #userCopy}). */
    private static List<String> sources(List<PodLaunch> launches, String run) throws IOException {
        Properties ingest = mounted(only(launches, "ingest-service"));
        List<String> sources = ingest.stringPropertyNames().stream()
                .map(k -> Pattern.compile("tidemark\\.ingest\\.sources\\.([^.]+-" + run + ")\\..*").matcher(k))
                .filter(Matcher::matches).map(m -> m.group(1)).distinct().sorted().toList();
        assertFalse(sources.isEmpty(), "the user's ingest Secret names this run's sources");
        return sources;
    }

    private static String token(Properties secret, Predicate<String> which) {
        return secret.stringPropertyNames().stream().sorted()
                .map(k -> Pattern.compile("tidemark\\.mart\\.tokens\\.([^.]+)\\.token").matcher(k)).filter(Matcher::matches)
                .filter(m -> which.test(m.group(1))).map(m -> secret.getProperty(m.group())).findFirst()
                .orElseThrow(() -> new AssertionError("mart's Secret has no such token"));
    }

    private static PodLaunch only(List<PodLaunch> launches, String module) {
        List<PodLaunch> found = launches.stream().filter(l -> l.module().equals(module)).toList();
        assertEquals(1, found.size(), "one Deployment runs " + module);
        return found.get(0);
    }

    /** The application.properties files of the container's Secret and ConfigMap volumes, together. */
    private static Properties mounted(PodLaunch launch) throws IOException {
        Properties properties = new Properties();
        for (Path dir : launch.mounts().values()) {
            Path file = dir.resolve("application.properties");
            if (Files.isRegularFile(file)) {
                properties.load(new StringReader(Files.readString(file)));
            }
        }
        return properties;
    }

    /** The settings of the container's mounted files that still hold an example's placeholder. */
    private static List<String> placeholders(PodLaunch launch) {
        Properties mounted;
        try {
            mounted = mounted(launch);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return mounted.stringPropertyNames().stream().filter(k -> mounted.getProperty(k).strip().startsWith(PLACEHOLDER)).sorted().toList();
    }

    /** Waits, as the kubelet would, for the startup probe within its periods, then readiness and liveness within theirs. */
    private static void awaitProbes(PodProcess pod) {
        for (PodLaunch.HttpProbe probe : pod.launch().probes()) {
            URI uri = URI.create("http://127.0.0.1:" + probe.localPort() + probe.path());
            Duration bound = Duration.ofSeconds((long) probe.periodSeconds() * probe.failureThreshold());
            await(pod.launch().name() + " " + probe.kind() + " probe " + probe.path() + " on port " + probe.port() + " (" + uri + ")")
                    .atMost(bound).pollInterval(Duration.ofMillis(500)).until(() -> {
                        if (!pod.isAlive()) {
                            throw new AssertionError(pod.launch().name() + " exited; its output ends: " + tail(pod.output()));
                        }
                        return status(uri) == 200;
                    });
            System.out.println("[pod] " + pod.launch().name() + " " + probe.kind() + " probe " + probe.path() + " on "
                    + probe.port() + " answers 200");
        }
    }

    private static URI uri(PodLaunch launch, String port, String path) {
        return URI.create("http://127.0.0.1:" + launch.localPort(port) + path);
    }

    private static int status(URI uri) {
        try {
            return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException notListening) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static long parquetFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".parquet")).count();
        }
    }

    /** Stops every process by its PID (SIGTERM, SIGKILL after the grace period); the ones that needed SIGKILL. */
    private static List<String> stopAll(List<PodProcess> running) throws InterruptedException {
        running.forEach(PodProcess::terminate);
        for (PodProcess pod : running) {
            pod.stop();
        }
        List<String> late = new ArrayList<>();
        for (PodProcess pod : running) {
            if (!pod.stoppedWithinGrace()) {
                late.add(pod.launch().name() + " (PID " + pod.pid() + ") outlived " + pod.launch().gracePeriodSeconds() + " s after SIGTERM");
            }
        }
        return late;
    }

    private static String tail(String output) {
        String[] lines = output.split("\n");
        return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 25), lines.length));
    }
}
