package io.tidemark.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.testsupport.PrivateStack;
import io.tidemark.testsupport.ServiceProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs scenarios one at a time on a private stack with the three packaged services: a load with
 * retries and duplicates, a fault mid-load, quiescence, then ground truth against Cassandra and mart.
 */
final class FaultSuite {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration POLL = Duration.ofSeconds(3);
    private static final String AUTH = "Bearer " + Pipeline.READ_TOKEN;
    /** How long the mart replicas may take to serve what the last export wrote (mirror refresh: 5 s). */
    private static final Duration MART_CONVERGENCE = Duration.ofSeconds(60);

    private final Path root;
    private final FaultSettings settings;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    FaultSuite(Path root, FaultSettings settings) {
        this.root = root;
        this.settings = settings;
    }

    /** Runs the scenarios on the private stack, started here and released at the end. */
    List<ScenarioResult> run(List<Scenario> scenarios) throws Exception {
        try (PrivateStack stack = settings.privateStack(root)) {
            stack.ensureFresh();
            return runOn(stack, scenarios);
        }
    }

    /**
     * Runs on a stack the caller owns, has just ensured (or started fresh) and releases: the ITs share
     * one private stack. A second ensure here cost a launcher JVM and a pass over every part, the
     * topics and the schema: 4 s on one node and 8 s on the cluster in CI, where it found all current.
     */
    List<ScenarioResult> runOn(PrivateStack stack, List<Scenario> scenarios) throws Exception {
        // Each run and scenario writes to sources of its own, so earlier data never counts.
        String runId = Long.toString(Instant.now().getEpochSecond(), 36);
        Map<Scenario, List<Source>> sources = new LinkedHashMap<>();
        for (Scenario scenario : scenarios) {
            List<Source> list = new ArrayList<>();
            for (int i = 1; i <= settings.sources(); i++) {
                String id = "f" + runId + "-" + scenario.code() + "-" + i;
                list.add(new Source(id, id + "-key"));
            }
            sources.put(scenario, list);
        }
        return runOn(stack, scenarios, runId, sources);
    }

    private List<ScenarioResult> runOn(PrivateStack stack, List<Scenario> scenarios, String runId,
            Map<Scenario, List<Source>> sources) throws Exception {
        List<ScenarioResult> results = new ArrayList<>();
        Log.info("private stack: Kafka " + stack.kafkaBootstrap() + ", Cassandra " + stack.cassandraContact());
        List<Source> all = sources.values().stream().flatMap(List::stream).toList();
        try (Pipeline pipeline = Pipeline.of(root, stack, all, settings,
                List.of(Pipeline.INGEST, Pipeline.DEDUP, Pipeline.MART))) {
            pipeline.startAll();
            for (Scenario scenario : scenarios) {
                Log.info("=== scenario " + scenario.label() + " ===");
                ScenarioResult result = runScenario(scenario, sources.get(scenario), runId, stack, pipeline);
                Log.info("=== " + scenario.label() + ": " + result);
                results.add(result);
            }
        }
        return results;
    }

    private ScenarioResult runScenario(Scenario scenario, List<Source> sources, String runId, PrivateStack stack,
            Pipeline pipeline) throws Exception {
        GroundTruth truth = new GroundTruth();
        List<String> notes = new ArrayList<>();
        RssSampler rss = new RssSampler(pipeline);
        rss.start();
        LagSampler lag = new LagSampler(stack.kafkaBootstrap());
        lag.start();
        LoadClient load = new LoadClient(pipeline.replicas(Pipeline.INGEST).stream().map(s -> s.uri("")).toList(),
                sources, settings, truth, scenario.code() + runId);
        Instant loadStarted = Instant.now();
        load.start();
        Thread.sleep(settings.loadBeforeFault().toMillis());
        Log.info("load so far: " + truth.acknowledged().size() + " acknowledged; injecting " + scenario.label());
        Instant faultStarted = Instant.now();
        inject(scenario, stack, pipeline);
        Instant healed = Instant.now();
        Thread.sleep(settings.loadAfterFault().toMillis());
        Instant loadStopping = Instant.now();
        Log.info("stopping the load; retrying what is in flight for up to " + settings.drain().toSeconds() + " s");
        load.stopAndDrain();
        AckRates rates = AckRates.of(truth, loadStarted, faultStarted, healed, loadStopping);
        for (Map.Entry<String, ServiceProcess> service : pipeline.services().entrySet()) {
            if (!service.getValue().isAlive()) {
                notes.add(service.getKey() + " exited on its own during the scenario (restarted for the check)");
            }
        }
        pipeline.restartDead();

        Map<String, GroundTruth.Expected> acked = truth.acknowledged();
        Map<String, GroundTruth.Expected> abandoned = truth.abandoned();
        List<String> sourceIds = sources.stream().map(Source::id).toList();
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        LocalDate from = today.minusDays(settings.maxLateDays() + 1);
        Log.info("acknowledged " + acked.size() + ", abandoned " + abandoned.size() + "; waiting for quiescence");
        List<StoredIndex.StoredRow> rows = awaitQuiescence(stack, sourceIds, from, today, acked, lag);
        rss.stop();
        lag.stop();
        LagRecovery lagRecovery = new LagRecovery(lag.peakAfter(faultStarted), lag.recoverySeconds(faultStarted, healed));

        Map<String, List<StoredIndex.StoredRow>> byId = StoredIndex.byMessageId(rows);
        long stored = 0;
        long lost = 0;
        long wrongDay = 0;
        List<String> lostSample = new ArrayList<>();
        for (Map.Entry<String, GroundTruth.Expected> entry : acked.entrySet()) {
            List<StoredIndex.StoredRow> found = byId.get(entry.getKey());
            if (found == null) {
                lost++;
                if (lostSample.size() < 3) {
                    lostSample.add(entry.getKey());
                }
                continue;
            }
            stored++;
            GroundTruth.Expected expected = entry.getValue();
            if (found.stream().anyMatch(r -> !r.day().equals(expected.day()) || !r.source().equals(expected.source()))) {
                wrongDay++;
            }
        }
        long duplicated = byId.values().stream().filter(r -> r.size() > 1).count();
        long abandonedStored = abandoned.keySet().stream().filter(byId::containsKey).count();
        long strangers = byId.keySet().stream().filter(id -> !acked.containsKey(id) && !abandoned.containsKey(id)).count();
        if (strangers > 0) {
            notes.add(strangers + " stored messageIds the client never sent");
        }
        if (!lostSample.isEmpty()) {
            notes.add("lost e.g. " + lostSample);
        }
        if (truth.refused.get() > 0) {
            notes.add(truth.refused.get() + " valid events refused with a 4xx");
        }
        notes.add(String.format("requests %d, timeouts %d, 429 %d, 5xx %d; RSS MB %s",
                truth.requests.get(), truth.timeouts.get(), truth.status429.get(), truth.status5xx.get(), rss.maxMbByService()));

        // What mart should say per source and day: every acknowledged event, plus abandoned ones that made it.
        Map<String, Map<LocalDate, Long>> expectedDaily = new HashMap<>();
        acked.values().forEach(e -> expectedDaily.computeIfAbsent(e.source(), k -> new HashMap<>()).merge(e.day(), 1L, Long::sum));
        abandoned.forEach((id, e) -> {
            if (byId.containsKey(id)) {
                expectedDaily.computeIfAbsent(e.source(), k -> new HashMap<>()).merge(e.day(), 1L, Long::sum);
            }
        });
        MartComparison mart = compareMart(pipeline.named(Pipeline.MART), sourceIds, from, today, expectedDaily);
        if (!mart.detail().isEmpty()) {
            notes.add("mart: " + mart.detail());
        }
        return new ScenarioResult(scenario.label(), acked.size(), stored, lost, duplicated, wrongDay,
                mart.mismatchedDays(), mart.note(), abandoned.size(), abandonedStored, truth.retries.get(),
                truth.duplicateSends.get(), rss.maxMb(), rates, lagRecovery, String.join("; ", notes));
    }

    private void inject(Scenario scenario, PrivateStack stack, Pipeline pipeline) throws Exception {
        switch (scenario) {
            case NO_FAULT -> Log.info("no fault injected");
            case KILL_INGEST -> killAndRestart(pipeline.service(Pipeline.INGEST));
            case KILL_DEDUP -> killAndRestart(pipeline.service(Pipeline.DEDUP));
            case KILL_MART -> killAndRestart(pipeline.service(Pipeline.MART));
            case KAFKA_STOP -> stopAndStart(stack, PrivateStack.KAFKA, settings.kafkaDown());
            case CASSANDRA_STOP -> stopAndStart(stack, PrivateStack.CASSANDRA, settings.cassandraDown());
            case KILL_LEAD_BROKER -> killAndStart(stack, leadBroker(stack), settings.kafkaDown());
            case CASSANDRA_NODE_DOWN -> killAndStart(stack, PrivateStack.node(PrivateStack.CASSANDRA, 2), settings.cassandraDown());
            case CASSANDRA_FREEZE -> freezeAndThaw(stack, PrivateStack.node(PrivateStack.CASSANDRA, 3));
            case BROKER_FREEZE -> freezeAndThaw(stack, leadBroker(stack));
            case KILL_BROKER_FREEZE_CASSANDRA -> killBrokerFreezeCassandra(stack);
            case DEDUP_CLOCK_AHEAD -> clockAhead(pipeline, PrivateStack.node(Pipeline.DEDUP, 2));
            case ROLLING_RESTART -> rollingRestart(pipeline);
        }
    }

    /** The broker that leads most partitions of the raw topic: the one whose loss moves most of ingest's writes. */
    private static String leadBroker(PrivateStack stack) {
        int id = KafkaAdmin.leaderOfMostRawPartitions(stack.kafkaBootstrap());
        return PrivateStack.node(PrivateStack.KAFKA, id);
    }

    /** What happens while a killed server is down: time passes, or a second fault comes and goes. */
    private interface WhileDown {
        void run() throws InterruptedException;
    }

    private void killAndStart(PrivateStack stack, String part, Duration down) throws InterruptedException {
        killAndStart(stack, part, () -> {
            Log.info(part + " killed; keeping it down for " + down.toSeconds() + " s while the client keeps sending");
            Thread.sleep(down.toMillis());
        });
    }

    private void killBrokerFreezeCassandra(PrivateStack stack) throws InterruptedException {
        killAndStart(stack, leadBroker(stack), () -> freezeAndThaw(stack, PrivateStack.node(PrivateStack.CASSANDRA, 3)));
    }

    private static void killAndStart(PrivateStack stack, String part, WhileDown whileDown) throws InterruptedException {
        Log.info("kill -9 " + part + " (pid " + stack.pid(part).orElse(-1L) + ")");
        stack.kill(part);
        whileDown.run();
        stack.start(part);
        Log.info(part + " is back");
    }

    private void freezeAndThaw(PrivateStack stack, String part) throws InterruptedException {
        stack.freeze(part);
        Log.info(part + " frozen (SIGSTOP) for " + settings.freeze().toSeconds() + " s");
        try {
            Thread.sleep(settings.freeze().toMillis());
        } finally {
            stack.thaw(part);
        }
        Log.info(part + " thawed (SIGCONT)");
    }

    /**
     * The replica runs with libfaketime preloaded and its wall clock ahead (its monotonic clock
     * untouched, or the JVM's timers would stall): every timestamp it writes, Cassandra's write times
     * included, is in the future for the other replica. The library is preloaded through env, which
     * execs java in its own place; the faketime wrapper would fork, and stopping the wrapper would
     * leave the JVM running. The multi-threaded variant, since a JVM reads the clock from many threads,
     * without its fix for monotonic condition waits: with it, the JVM's timed waits crawl and Quarkus
     * did not finish starting in three minutes; without it, it starts as fast as on the true clock.
     * Afterwards the plain replica comes back.
     */
    private void clockAhead(Pipeline pipeline, String replica) throws InterruptedException {
        String offset = "+" + settings.clockAhead().toSeconds() + "s";
        Log.info("restarting " + replica + " with its clock " + offset + " ahead");
        pipeline.replace(replica, List.of("env", "LD_PRELOAD=" + libfaketime(), "FAKETIME=" + offset,
                "FAKETIME_DONT_FAKE_MONOTONIC=1", "FAKETIME_FORCE_MONOTONIC_FIX=0"));
        Thread.sleep(settings.freeze().toMillis());
        Log.info("restarting " + replica + " on the true clock");
        pipeline.replace(replica, List.of());
    }

    /** Debian's libfaketimeMT (package faketime, which deploy/local/prerequisites installs). */
    private static String libfaketime() {
        try (java.util.stream.Stream<Path> libs = java.nio.file.Files.find(Path.of("/usr/lib"), 3,
                (path, attributes) -> path.getFileName().toString().equals("libfaketimeMT.so.1"))) {
            return libs.findFirst().orElseThrow(() -> new IllegalStateException(
                    "libfaketimeMT.so.1 is missing under /usr/lib: apt-get install faketime")).toString();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** SIGTERM and start again, one replica after the other, each ready before the next goes. */
    private static void rollingRestart(Pipeline pipeline) throws InterruptedException {
        for (Map.Entry<String, ServiceProcess> service : pipeline.services().entrySet()) {
            Log.info("rolling restart: " + service.getKey());
            service.getValue().close();
            service.getValue().start();
        }
    }

    private void killAndRestart(ServiceProcess service) throws Exception {
        Log.info("kill -9 " + service.module() + " (pid " + service.pid() + ")");
        service.kill();
        Thread.sleep(settings.processDown().toMillis());
        service.start();
        Log.info(service.module() + " restarted (pid " + service.pid() + ")");
    }

    private void stopAndStart(PrivateStack stack, String part, Duration down) throws InterruptedException {
        Log.info("stopping private " + part);
        stack.stop(part);
        Log.info(part + " stopped; keeping it down for " + down.toSeconds() + " s while the client keeps sending");
        Thread.sleep(down.toMillis());
        stack.start(part);
        Log.info(part + " is back");
    }

    /** Waits until dedup has committed every raw record and the index stopped changing (or time is up). */
    private List<StoredIndex.StoredRow> awaitQuiescence(PrivateStack stack, List<String> sources, LocalDate from,
            LocalDate to, Map<String, GroundTruth.Expected> acked, LagSampler sampler) throws InterruptedException {
        Instant deadline = Instant.now().plus(settings.quiescence());
        List<StoredIndex.StoredRow> rows = List.of();
        int previous = -1;
        Instant stableSince = Instant.now();
        while (true) {
            long lag = ConsumerLag.rawTopicLag(stack.kafkaBootstrap());
            if (lag >= 0) {
                // The same measurement as the sampler's: on a starved machine its own calls may all
                // have failed since the heal, and the lag's return would go unrecorded.
                sampler.sample(Instant.now().getEpochSecond(), lag);
            }
            try {
                rows = StoredIndex.read(stack.cassandraContact(), sources, from, to);
            } catch (RuntimeException e) {
                Log.info("cannot read Cassandra yet: " + e.getMessage());
            }
            if (rows.size() != previous) {
                previous = rows.size();
                stableSince = Instant.now();
            }
            java.util.Set<String> ids = rowsIds(rows);
            long missing = acked.keySet().stream().filter(id -> !ids.contains(id)).count();
            boolean stable = Duration.between(stableSince, Instant.now()).compareTo(settings.stableFor()) >= 0;
            Log.info("quiescence: raw-topic lag " + lag + ", rows " + rows.size() + ", acknowledged not stored " + missing);
            if (lag == 0 && stable) {
                return rows;
            }
            if (Instant.now().isAfter(deadline)) {
                Log.info("quiescence not reached within " + settings.quiescence().toSeconds() + " s; comparing what is there");
                return rows;
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    private static java.util.Set<String> rowsIds(List<StoredIndex.StoredRow> rows) {
        java.util.Set<String> ids = new java.util.HashSet<>();
        rows.forEach(r -> ids.add(r.messageId()));
        return ids;
    }

    /** The mart's view after an on-demand export, against the expected count per source and day. */
    record MartComparison(long mismatchedDays, String note, String detail) {
    }

    /**
     * Exports on every mart replica, then compares each replica's daily counts until all agree or
     * {@link #MART_CONVERGENCE} passed: a replica serves a day another replica exported once its
     * mirror refresh fetched it from the bucket, a few seconds later.
     */
    private MartComparison compareMart(Map<String, ServiceProcess> marts, List<String> sources, LocalDate from,
            LocalDate to, Map<String, Map<LocalDate, Long>> expected) throws InterruptedException {
        List<String> exports = new ArrayList<>();
        try {
            for (Map.Entry<String, ServiceProcess> mart : marts.entrySet()) {
                HttpResponse<String> export = exportNow(mart.getValue());
                if (export.statusCode() == 404 || export.statusCode() == 405) {
                    exports.add(mart.getKey() + ": no export endpoint (" + export.statusCode() + "), compared the live API");
                } else if (export.statusCode() / 100 != 2) {
                    exports.add(mart.getKey() + ": export answered " + export.statusCode() + " " + abbreviate(export.body()));
                }
            }
            Instant deadline = Instant.now().plus(MART_CONVERGENCE);
            while (true) {
                long mismatched = 0;
                List<String> detail = new ArrayList<>(exports);
                for (Map.Entry<String, ServiceProcess> mart : marts.entrySet()) {
                    MartComparison one = compareReplica(mart.getKey(), mart.getValue(), sources, from, to, expected);
                    if (!one.note().isEmpty()) {
                        return one;
                    }
                    mismatched += one.mismatchedDays();
                    if (!one.detail().isEmpty()) {
                        detail.add(one.detail());
                    }
                }
                if (mismatched == 0 || Instant.now().isAfter(deadline)) {
                    return new MartComparison(mismatched, "", String.join(", ", detail));
                }
                Thread.sleep(POLL.toMillis());
            }
        } catch (IOException e) {
            return new MartComparison(-1, "unreachable", e.toString());
        }
    }

    private MartComparison compareReplica(String name, ServiceProcess mart, List<String> sources, LocalDate from,
            LocalDate to, Map<String, Map<LocalDate, Long>> expected) throws IOException, InterruptedException {
        long mismatched = 0;
        List<String> detail = new ArrayList<>();
        for (String source : sources) {
            URI uri = mart.uri("/api/v1/metrics/daily?source=" + source + "&from=" + from + "&to=" + to);
            HttpResponse<String> daily = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(1))
                    .header("Authorization", AUTH).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (daily.statusCode() != 200) {
                return new MartComparison(-1, name + " HTTP " + daily.statusCode(), abbreviate(daily.body()));
            }
            Map<LocalDate, Long> actual = new HashMap<>();
            for (JsonNode day : JSON.readTree(daily.body()).path("days")) {
                actual.put(LocalDate.parse(day.path("date").asText()), day.path("events").asLong());
            }
            Map<LocalDate, Long> want = expected.getOrDefault(source, Map.of());
            for (LocalDate day = from; !day.isAfter(to); day = day.plusDays(1)) {
                long a = actual.getOrDefault(day, 0L);
                long w = want.getOrDefault(day, 0L);
                if (a != w) {
                    mismatched++;
                    if (detail.size() < 4) {
                        detail.add(name + ": " + source + " " + day + " mart " + a + " expected " + w);
                    }
                }
            }
        }
        return new MartComparison(mismatched, "", String.join(", ", detail));
    }

    /**
     * Runs an export cycle now. A cycle mart started on its own (every 10 s on the cluster) answers
     * 429 with Retry-After: wait and ask again, or the comparison would read a view from before the
     * last acknowledged events.
     */
    private HttpResponse<String> exportNow(ServiceProcess mart) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(5));
        while (true) {
            HttpResponse<String> export = http.send(HttpRequest.newBuilder(mart.uri("/api/v1/exports"))
                    .timeout(Duration.ofMinutes(5)).header("Authorization", AUTH)
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            if (export.statusCode() != 429 || Instant.now().isAfter(deadline)) {
                return export;
            }
            long wait = export.headers().firstValue("Retry-After").filter(v -> v.matches("[0-9]{1,3}"))
                    .map(Long::parseLong).orElse(2L);
            Thread.sleep(Duration.ofSeconds(Math.max(1, wait)).toMillis());
        }
    }

    private static String abbreviate(String text) {
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }

    /** Samples the services' RSS every two seconds during a scenario. */
    private static final class RssSampler {
        private final Pipeline pipeline;
        private final Map<String, Long> maxKb = new ConcurrentHashMap<>();
        private Periodic sampling;

        RssSampler(Pipeline pipeline) {
            this.pipeline = pipeline;
        }

        void start() {
            sampling = Periodic.start("rss-sampler", Duration.ofSeconds(2),
                    () -> pipeline.services().forEach((name, service) -> maxKb.merge(name, service.rssKb(), Math::max)));
        }

        void stop() {
            sampling.stop();
        }

        long maxMb() {
            return maxKb.values().stream().mapToLong(Long::longValue).max().orElse(0) / 1024;
        }

        String maxMbByService() {
            Map<String, Long> mb = new java.util.TreeMap<>();
            maxKb.forEach((k, v) -> mb.put(k.replace("-service", ""), v / 1024));
            return mb.toString();
        }
    }
}
