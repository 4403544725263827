package io.tidemark.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Segment's browser SDK, analytics-next 1.84.3 as ingest serves it, loaded by Segment's copy-paste
 * snippet (rendered by its generator, {@code @segment/snippet}) on a site of another origin in Debian's
 * Chromium, driven by {@code src/test/node/browser-tag.js}: in standard delivery and in batching, every
 * call, including a track made as the page is left for another, is stored once in Cassandra with the
 * messageId, time and anonymousId the browser gave it.
 */
class BrowserTagIT {

    private static final Duration PATIENCE = Duration.ofSeconds(60);
    // The script gives up on its own after 60 s; this only catches a node process that hangs.
    private static final Duration NODE_PATIENCE = Duration.ofSeconds(75);
    // Ingest keeps a browser's time whose sentAt agrees with its clock; this allows for transit.
    private static final Duration CLOCK_TOLERANCE = Duration.ofSeconds(2);
    private static final String LEAVING = "Checkout Started";
    private static final String FIRST_PAGE = "/index.html";
    // What each mode's visit makes: the snippet's page() on both pages, the calls on the first page
    // (screen is not a browser call), and the track made as it is left.
    private static final List<String> EXPECTED_CALLS = List.of(
            "/index.html alias", "/index.html group", "/index.html identify", "/index.html page",
            "/index.html page", "/index.html track Checkout Started", "/index.html track Plan Compared",
            "/next.html page");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static SdkPipeline pipeline;
    private static JsonNode report;
    private static List<JsonNode> calls;

    @BeforeAll
    static void visitTheSiteInBothModes() throws Exception {
        pipeline = SdkPipeline.start("browser-tag", false);
        report = runBrowser();
        calls = StreamSupport.stream(report.get("calls").spliterator(), false).toList();
    }

    @AfterAll
    static void stop() throws Exception {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    void theSiteIsServedFromAnotherOriginAndNothingIsFetchedFromElsewhere() {
        assertNotEquals(report.get("ingestOrigin").asText(), report.get("pageOrigin").asText());
        assertEquals(pipeline.ingestUrl(), report.get("ingestOrigin").asText());
        assertEquals(List.of(), texts(report.get("foreignRequests")), "requests to neither the site nor ingest");
    }

    @Test
    void eachModeMakesEveryBrowserCallOnBothPages() {
        for (String mode : List.of("standard", "batching")) {
            List<String> made = ofMode(mode).stream()
                    .map(call -> call.get("page").asText() + " " + call.get("type").asText()
                            + (call.get("event").isNull() ? "" : " " + call.get("event").asText()))
                    .sorted().toList();
            assertEquals(EXPECTED_CALLS, made, "calls the SDK made in " + mode + " delivery");
        }
    }

    @Test
    void standardDeliveryPostsEachCallToItsOwnShortPath() {
        for (JsonNode call : ofMode("standard")) {
            String path = "/v1/" + call.get("type").asText().charAt(0);
            assertSentOnlyTo(path, call);
        }
    }

    @Test
    void batchingSetByTheSnippetsLoadOptionsPostsEveryCallToTheBatchPath() {
        for (JsonNode call : ofMode("batching")) {
            assertSentOnlyTo("/v1/b", call);
        }
    }

    @Test
    void everyCallIsStoredOnceWithTheBrowsersMessageIdTimeAndAnonymousId() {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        Set<LocalDate> days = days(calls);
        Map<String, List<StoredRows.Stored>> stored = pipeline.awaitStored(messageIds(calls), days, PATIENCE);
        Map<String, String> anonymousIds = pipeline.storedAnonymousIds(days);

        for (JsonNode call : calls) {
            String id = call.get("messageId").asText();
            String what = call.get("mode").asText() + " " + call.get("type").asText() + " " + id;
            List<StoredRows.Stored> rows = stored.get(id);
            assertEquals(1, rows.size(), "rows of " + what);
            Instant browserTime = browserTime(call);
            Instant eventTime = rows.get(0).eventTime();
            assertTrue(Duration.between(browserTime, eventTime).abs().compareTo(CLOCK_TOLERANCE) <= 0,
                    "event time " + eventTime + " of " + what + " is the browser's " + browserTime);
            assertEquals(LocalDate.ofInstant(browserTime, ZoneOffset.UTC), rows.get(0).day(), "day of " + what);
            assertTrue(rows.get(0).day().equals(today) || rows.get(0).day().equals(LocalDate.now(ZoneOffset.UTC)),
                    what + " is stored on today's date, not " + rows.get(0).day());
            assertEquals(call.get("anonymousId").asText(), anonymousIds.get(id), "anonymousId of " + what);
        }
        for (String mode : List.of("standard", "batching")) {
            assertEquals(1, ofMode(mode).stream().map(call -> call.get("anonymousId").asText()).distinct().count(),
                    "one anonymous user across both pages in " + mode + " delivery");
        }
        assertNotEquals(ofMode("standard").get(0).get("anonymousId").asText(),
                ofMode("batching").get(0).get("anonymousId").asText(), "each mode's visit starts with an empty localStorage");
    }

    @Test
    void aTrackMadeAsThePageIsLeftIsStoredOnceInBothModes() throws Exception {
        List<JsonNode> leaving = calls.stream().filter(call -> LEAVING.equals(call.get("event").asText())).toList();
        assertEquals(List.of("standard", "batching"), leaving.stream().map(call -> call.get("mode").asText()).toList());
        Map<String, List<StoredRows.Stored>> stored = pipeline.awaitStored(messageIds(leaving), days(leaving), PATIENCE);
        for (JsonNode call : leaving) {
            assertEquals(FIRST_PAGE, call.get("page").asText(), "the call was made on the page being left");
            assertEquals(1, stored.get(call.get("messageId").asText()).size(),
                    "rows of the " + call.get("mode").asText() + " track made as the page was left: " + call);
        }
        // The standard track is often still in flight when the page goes: analytics-next sends it with
        // keepalive and also queues it in localStorage, and the next page sends it again. Dedup keeps one.
        System.out.printf("BrowserTagIT: ingest accepted %d events for %d browser calls; sent again from localStorage: %s%n",
                eventsAccepted(), calls.size(), calls.stream().filter(call -> call.get("replayed").asBoolean())
                        .map(call -> call.get("mode").asText() + " " + call.get("type").asText()).toList());
    }

    private static void assertSentOnlyTo(String path, JsonNode call) {
        List<String> sends = texts(call.get("sends"));
        assertTrue(sends.stream().allMatch(send -> send.startsWith(path + " ")), "sends of " + call);
        // The browser reports no outcome for what a leaving page hands over; Cassandra has the last word.
        if (!LEAVING.equals(call.get("event").asText())) {
            assertTrue(sends.contains(path + " 200"), "ingest acknowledged " + call);
        }
    }

    private static List<JsonNode> ofMode(String mode) {
        return calls.stream().filter(call -> call.get("mode").asText().equals(mode)).toList();
    }

    private static Set<String> messageIds(List<JsonNode> calls) {
        return calls.stream().map(call -> call.get("messageId").asText()).collect(Collectors.toSet());
    }

    /** Today and the UTC days of the calls' browser times. */
    private static Set<LocalDate> days(List<JsonNode> calls) {
        Set<LocalDate> days = new TreeSet<>(List.of(LocalDate.now(ZoneOffset.UTC)));
        calls.forEach(call -> days.add(LocalDate.ofInstant(browserTime(call), ZoneOffset.UTC)));
        return days;
    }

    private static Instant browserTime(JsonNode call) {
        return Instant.parse(call.get("timestamp").asText());
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(item -> texts.add(item.asText()));
        return texts;
    }

    private static long eventsAccepted() throws IOException, InterruptedException {
        String metrics = HTTP.send(HttpRequest.newBuilder(pipeline.ingest().managementUri("/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher accepted = Pattern.compile("tidemark_ingest_events_accepted_total\\{source=\"" + Pattern.quote(pipeline.source)
                + "\"} ([0-9.]+)").matcher(metrics);
        return accepted.find() ? (long) Double.parseDouble(accepted.group(1)) : -1;
    }

    /** Runs the node driver; it starts the site and Chromium, and stops both before it exits. */
    private static JsonNode runBrowser() throws IOException, InterruptedException {
        Path modules = Path.of(System.getProperty("tidemark.sdk-clients.modules"));
        Path script = Path.of(System.getProperty("tidemark.node-scripts"), "browser-tag.js");
        assertTrue(Files.isDirectory(modules.resolve("playwright-core")), "npm installed playwright-core in " + modules);
        Path output = Files.createDirectories(Path.of("target", "e2e-logs")).resolve("browser-tag.json");
        ProcessBuilder builder = new ProcessBuilder("node", script.toString())
                .redirectOutput(output.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
        // Playwright drives Debian's Chromium and must never fetch a browser of its own.
        builder.environment().putAll(Map.of("NODE_PATH", modules.toString(), "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1",
                "INGEST_HOST", pipeline.ingestHost(), "WRITE_KEY", pipeline.writeKey));
        Process node = builder.start();
        try {
            if (!node.waitFor(NODE_PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
                throw new AssertionError("the browser driver did not finish within " + NODE_PATIENCE);
            }
            assertEquals(0, node.exitValue(), "the browser driver failed; its output: " + Files.readString(output));
            return new ObjectMapper().readTree(output.toFile());
        } finally {
            stop(node);
        }
    }

    /** Stops node and whatever it started that still runs (Chromium), by handle. */
    private static void stop(Process node) throws InterruptedException {
        List<ProcessHandle> started = node.descendants().toList();
        node.destroy();
        if (!node.waitFor(10, TimeUnit.SECONDS)) {
            node.destroyForcibly().waitFor();
        }
        for (ProcessHandle process : started) {
            process.destroyForcibly();
        }
    }
}
