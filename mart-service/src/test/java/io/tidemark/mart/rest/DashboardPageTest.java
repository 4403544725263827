package io.tidemark.mart.rest;

import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static io.tidemark.mart.rest.StoredEvents.TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard page rendered by Debian's headless Chromium (installed by .ci/run): the numbers it
 * shows are the API's numbers.
 */
@QuarkusTest
@QuarkusTestResource(TempMartRoot.class)
class DashboardPageTest {

    private static final Pattern ROW = Pattern.compile(
            "<tr><td class=\"name\">([^<]*)</td><td class=\"count\">(\\d+)</td><td class=\"users\">(\\d+)</td></tr>");

    @Inject
    QuarkusCqlSession session;

    @TestHTTPResource("/")
    URL page;

    @Test
    void thePageShowsTheSameNumbersAsTheApi() throws Exception {
        StoredEvents events = new StoredEvents(session);
        events.store("2026-11-01T08:00:00Z", "Viewed", "u-1", null);
        events.store("2026-11-01T09:00:00Z", "Bought", "u-1", null);
        events.store("2026-11-02T10:00:00Z", "Viewed", null, "anon-7");
        events.store("2026-11-03T11:00:00Z", "Viewed", "u-2", null);
        events.export();

        String dom = render(page + "?source=" + events.source + "&from=2026-11-01&to=2026-11-03#token=" + TOKEN);
        assertTrue(dom.contains("data-loaded=\"" + events.source + " 2026-11-01 2026-11-03\""), dom);

        JsonPath daily = api("/api/v1/metrics/daily", events.source, "from", "2026-11-01", "to", "2026-11-03");
        List<String> apiDays = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            apiDays.add(daily.getString("days[" + i + "].date") + " " + daily.getLong("days[" + i + "].events") + " "
                    + daily.getLong("days[" + i + "].users"));
        }
        JsonPath top = api("/api/v1/metrics/top-events", events.source, "from", "2026-11-01", "to", "2026-11-03",
                "limit", "10");
        List<String> apiTop = new ArrayList<>();
        for (int i = 0; i < top.getList("events").size(); i++) {
            apiTop.add(top.getString("events[" + i + "].event") + " " + top.getLong("events[" + i + "].count") + " "
                    + top.getLong("events[" + i + "].users"));
        }
        List<String> rows = rows(dom);
        assertEquals(List.of("2026-11-01 2 1", "2026-11-02 1 1", "2026-11-03 1 1"), apiDays);
        assertEquals(apiDays, rows.subList(0, 3), "daily table");
        assertEquals(List.of("Viewed 3 3", "Bought 1 1"), apiTop);
        assertEquals(apiTop, rows.subList(3, rows.size()), "top events table");

        JsonPath active = api("/api/v1/metrics/active-users", events.source, "date", "2026-11-03");
        assertEquals(active.getLong("dau") + " " + active.getLong("wau") + " " + active.getLong("mau"),
                tile(dom, "dau") + " " + tile(dom, "wau") + " " + tile(dom, "mau"));
        assertEquals("1 3 3", tile(dom, "dau") + " " + tile(dom, "wau") + " " + tile(dom, "mau"));
        assertTrue(dom.contains("Numbers include every event stored before " + daily.getString("exportedThrough")), dom);
    }

    @Test
    void theFinalityRevisionRetentionFunnelAndBreakdownPanelsShowTheApisNumbers() throws Exception {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        LocalDate d1 = today.minusDays(3);
        LocalDate d2 = today.minusDays(2);
        LocalDate d3 = today.minusDays(1);
        StoredEvents events = new StoredEvents(session);
        String pro = "{\"plan\":\"pro\"}";
        String free = "{\"plan\":\"free\"}";
        // The longest delay is one day: the p99.9 delay, so d1 and d2 are final and d3 is not yet.
        events.store(at(d1, 8), at(d1, 8).plusSeconds(300), "Viewed", "u-1", pro, null);
        events.store(at(d1, 9), at(d1, 12), "Bought", "u-1", pro, null);
        events.store(at(d1, 10), at(d1, 10).plus(Duration.ofDays(1)), "Viewed", "u-2", free, null);
        events.store(at(d2, 10), at(d2, 10).plusSeconds(300), "Viewed", "u-1", null, null);
        events.store(at(d2, 11), at(d2, 11).plusSeconds(300), "Viewed", "u-3", free, null);
        events.store(at(d3, 10), at(d3, 10).plusSeconds(300), "Viewed", "u-3", null, null);
        events.store(at(d3, 11), null, "Viewed", "u-2", null, null);
        events.export();
        // Late for d1, after its first report: d1 is revised.
        events.store(at(d1, 12), at(d2, 8), "Bought", "u-2", null, null);
        events.export();

        String from = d1.toString();
        String to = d3.toString();
        String dom = render(page + "?source=" + events.source + "&from=" + from + "&to=" + to
                + "&by=properties.plan&steps=Viewed,Bought#token=" + TOKEN);
        assertTrue(dom.contains("data-loaded=\"" + events.source + " " + from + " " + to + "\""), dom);

        JsonPath lateness = api("/api/v1/metrics/lateness", events.source, "from", from, "to", to);
        JsonPath daily = api("/api/v1/metrics/daily", events.source, "from", from, "to", to, "by", "properties.plan");
        List<String> apiFinal = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String day = "days[" + i + "].";
            String delays = day + "delays.";
            apiFinal.add(String.join(" ", lateness.getString(day + "date"), lateness.getString(day + "status"),
                    lateness.getString(day + "finalAt"), daily.getBoolean(day + "revised") ? "revised" : "",
                    lateness.getString(delays + "upTo1h"), lateness.getString(delays + "upTo1d"),
                    lateness.getString(delays + "upTo3d"), lateness.getString(delays + "upTo7d"),
                    lateness.getString(delays + "upTo30d"), lateness.getString(delays + "later"),
                    lateness.getString(delays + "unknown")));
        }
        assertEquals(List.of("final", "final", "provisional"), lateness.getList("days.status"));
        assertEquals(List.of(true, false, false), daily.getList("days.revised"));
        assertEquals(List.of("1 3 0 0 0 0 0", "2 0 0 0 0 0 0", "1 0 0 0 0 0 1"),
                apiFinal.stream().map(row -> row.substring(row.length() - 13)).toList());
        assertEquals(apiFinal, cells(dom, "days-final"), "finality table");

        // The revisions of the latest revised day, d1, shown by default.
        JsonPath revisions = api("/api/v1/metrics/revisions", events.source, "date", from);
        List<String> apiRevisions = new ArrayList<>();
        for (int i = 0; i < revisions.getList("revisions").size(); i++) {
            String r = "revisions[" + i + "].";
            apiRevisions.add(String.join(" ", revisions.getString(r + "number"), revisions.getString(r + "exportedAt"),
                    revisions.getString(r + "events"), revisions.getString(r + "users"),
                    signed(revisions.getLong(r + "eventsChange")), signed(revisions.getLong(r + "usersChange"))));
        }
        assertEquals(2, apiRevisions.size());
        assertTrue(apiRevisions.get(1).endsWith(" 4 2 +1 0"), apiRevisions.get(1));
        assertEquals(apiRevisions, cells(dom, "revisions"), "revisions table");
        assertEquals(revisions.getString("firstReported.events") + " " + revisions.getString("now.events"),
                span(dom, "rev-first-events") + " " + span(dom, "rev-now-events"));
        assertEquals("3 4", span(dom, "rev-first-events") + " " + span(dom, "rev-now-events"));

        JsonPath retention = api("/api/v1/metrics/retention", events.source, "from", from, "to", to, "period", "day");
        List<String> apiRetention = new ArrayList<>();
        for (int i = 0; i < retention.getList("cohorts").size(); i++) {
            String c = "cohorts[" + i + "].";
            List<String> row = new ArrayList<>(List.of(retention.getString(c + "start"), retention.getString(c + "users")));
            List<Float> shares = retention.getList(c + "share", Float.class);
            shares.forEach(share -> row.add(share == null ? "–" : String.format(Locale.ROOT, "%.1f%%", share * 100)));
            apiRetention.add(String.join(" ", row));
        }
        assertEquals(from + " 2 100.0% 50.0% 50.0% 0.0% – – – –", apiRetention.get(0));
        assertEquals(apiRetention, cells(dom, "retention"), "retention grid");

        JsonPath funnel = api("/api/v1/metrics/funnel", events.source, "from", from, "to", to, "steps", "Viewed,Bought");
        assertEquals(List.of(3, 2), funnel.getList("steps.users"));
        assertEquals(List.of("1 Viewed 3 – – –", "2 Bought 2 66.7% 66.7% 5400 s"), cells(dom, "funnel"), "funnel table");

        // free and pro twice each over the range (ties go by value), events without a plan as missing.
        List<String> apiBreakdown = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String b = "days[" + i + "].breakdown.";
            apiBreakdown.add(String.join(" ", daily.getString("days[" + i + "].date"),
                    daily.getString(b + "values[0].events"), daily.getString(b + "values[1].events"),
                    daily.getString(b + "other.events"), daily.getString(b + "missing.events")));
        }
        assertEquals(List.of("free", "pro"), daily.getList("days[0].breakdown.values.value"));
        assertEquals(List.of(from + " 1 2 0 1", d2 + " 1 0 0 1", to + " 0 0 0 2"), apiBreakdown);
        assertEquals(apiBreakdown, cells(dom, "breakdown"), "breakdown table");

        JsonPath top = api("/api/v1/metrics/top-events", events.source, "from", from, "to", to, "limit", "10",
                "by", "properties.plan");
        List<String> apiTopBreakdown = new ArrayList<>();
        for (int i = 0; i < top.getList("events").size(); i++) {
            String e = "events[" + i + "].";
            for (int v = 0; v < top.getList(e + "breakdown.values").size(); v++) {
                String value = e + "breakdown.values[" + v + "].";
                apiTopBreakdown.add(String.join(" ", top.getString(e + "event"), top.getString(value + "value"),
                        top.getString(value + "events"), top.getString(value + "users")));
            }
            for (String bucket : List.of("other", "missing")) {
                apiTopBreakdown.add(String.join(" ", top.getString(e + "event"), bucket,
                        top.getString(e + "breakdown." + bucket + ".events"), top.getString(e + "breakdown." + bucket + ".users")));
            }
        }
        // Viewed: free twice (u-2, u-3), pro once, three without a plan; Bought: pro once, once without.
        assertEquals(List.of("Viewed free 2 2", "Viewed pro 1 1", "Viewed other 0 0", "Viewed missing 3 3",
                "Bought pro 1 1", "Bought other 0 0", "Bought missing 1 1"), apiTopBreakdown);
        assertEquals(apiTopBreakdown, cells(dom, "top-breakdown"), "top events by value");
    }

    @Test
    void aDeepLinkSetsEveryPanelAndThePageIsLabelledForScreenReaders() throws Exception {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        LocalDate d1 = today.minusDays(10);
        LocalDate d2 = today.minusDays(9);
        LocalDate d3 = today.minusDays(1);
        StoredEvents events = new StoredEvents(session);
        events.store(at(d1, 8), at(d1, 8).plusSeconds(60), "Viewed", "u-1", "{\"plan\":\"pro\"}", null);
        events.store(at(d1, 9), at(d1, 9).plusSeconds(60), "Bought", "u-1", null, null);
        events.store(at(d2, 8), at(d2, 8).plusSeconds(60), "Viewed", "u-2", "{\"plan\":\"free\"}", null);
        events.store(at(d2, 13), at(d2, 13).plusSeconds(60), "Bought", "u-2", null, null);
        events.store(at(d3, 8), at(d3, 8).plusSeconds(60), "Viewed", "u-1", null, null);
        events.export();
        // A late event for d2 after its first report: d2 has two revisions, d1 one (the default would be d2).
        events.store(at(d2, 9), at(d3, 9), "Viewed", "u-3", null, null);
        events.export();

        String from = d1.toString();
        String to = d3.toString();
        String query = "source=" + events.source + "&from=" + from + "&to=" + to + "&by=properties.plan&day=" + d1
                + "&steps=Viewed,Bought&within=2h&period=week&periods=3";
        String dom = render(page + "?" + query + "#token=" + TOKEN);
        assertTrue(dom.contains("data-loaded=\"" + events.source + " " + from + " " + to + "\""), dom);

        // The link to this view holds the same query (and never the token).
        Matcher link = Pattern.compile("id=\"permalink\" href=\"\\?([^\"]*)\"").matcher(dom);
        assertTrue(link.find(), dom);
        assertEquals(parameters(query), parameters(link.group(1).replace("&amp;", "&")));
        assertTrue(!link.group(1).contains(TOKEN), link.group(1));

        assertTrue(dom.contains("<h2 id=\"breakdown-title\">Events per day by properties.plan</h2>"), dom);
        JsonPath revisions = api("/api/v1/metrics/revisions", events.source, "date", from);
        assertEquals(1, revisions.getList("revisions").size());
        assertEquals(List.of("1 " + revisions.getString("revisions[0].exportedAt") + " 2 1 0 0"), cells(dom, "revisions"),
                "the linked day's revisions, not the default revised day's");
        assertTrue(dom.contains("<caption id=\"revisions-caption\">Every export of " + from + "</caption>"), dom);

        JsonPath retention = api("/api/v1/metrics/retention", events.source, "from", from, "to", to, "period", "week",
                "periods", "3");
        List<String> apiRetention = new ArrayList<>();
        for (int i = 0; i < retention.getList("cohorts").size(); i++) {
            String c = "cohorts[" + i + "].";
            List<String> row = new ArrayList<>(List.of(retention.getString(c + "start"), retention.getString(c + "users")));
            List<Float> shares = retention.getList(c + "share", Float.class);
            shares.forEach(share -> row.add(share == null ? "–" : String.format(Locale.ROOT, "%.1f%%", share * 100)));
            apiRetention.add(String.join(" ", row));
        }
        assertEquals(apiRetention, cells(dom, "retention"), "weekly retention grid");
        assertTrue(dom.contains("<th scope=\"col\">Cohort</th><th scope=\"col\">Users</th><th scope=\"col\">Week 0</th>"
                + "<th scope=\"col\">Week 1</th><th scope=\"col\">Week 2</th><th scope=\"col\">Week 3</th></tr>"), dom);

        JsonPath funnel = api("/api/v1/metrics/funnel", events.source, "from", from, "to", to, "steps", "Viewed,Bought",
                "within", "2h");
        // u-1 buys an hour after viewing, u-2 five hours after: only u-1 within 2h.
        assertEquals(List.of(3, 1), funnel.getList("steps.users"));
        assertEquals(List.of("1 Viewed 3 – – –", "2 Bought 1 33.3% 33.3% 3600 s"), cells(dom, "funnel"), "funnel table");

        // Every form control has a label: around it, pointing at it, or an aria-label.
        Matcher control = Pattern.compile("<(input|select)\\b[^>]*>").matcher(dom);
        int controls = 0;
        while (control.find()) {
            controls++;
            String before = dom.substring(0, control.start());
            Matcher id = Pattern.compile("\\bid=\"([^\"]+)\"").matcher(control.group());
            boolean wrapped = before.lastIndexOf("<label") > before.lastIndexOf("</label>");
            boolean pointed = id.find() && dom.contains("<label for=\"" + id.group(1) + "\"");
            assertTrue(wrapped || pointed || control.group().contains("aria-label="), "no label: " + control.group());
        }
        assertEquals(10, controls, "token, source, from, to, split by, revision day, period, periods, steps, within");
        // Every table has a caption and column headers with a scope.
        Matcher table = Pattern.compile("<table id=\"([^\"]+)\">\\s*<caption[^>]*>([^<]+)</caption>").matcher(dom);
        int captioned = 0;
        while (table.find()) {
            captioned++;
        }
        assertEquals(8, captioned, "captioned tables in " + dom);
        assertEquals(8, count(dom, "<table "));
        assertEquals(0, count(dom, "<th>"), "headers without scope");
        // Charts have a text alternative; loading and errors are announced.
        assertEquals(2, count(dom, "<canvas id=\"[^\"]+\" role=\"img\" aria-label=\"[^\"]+\""));
        assertTrue(dom.contains("role=\"status\" aria-live=\"polite\""), dom);
        assertTrue(dom.contains("id=\"error\" class=\"error\" role=\"alert\""), dom);
        assertTrue(dom.contains("aria-busy=\"false\""), "loaded: not busy");
    }

    private static java.util.Map<String, String> parameters(String query) {
        java.util.Map<String, String> parameters = new java.util.TreeMap<>();
        for (String pair : query.split("&")) {
            String[] parts = pair.split("=", 2);
            parameters.put(parts[0], java.net.URLDecoder.decode(parts[1], StandardCharsets.UTF_8));
        }
        return parameters;
    }

    private static int count(String dom, String regex) {
        Matcher match = Pattern.compile(regex).matcher(dom);
        int found = 0;
        while (match.find()) {
            found++;
        }
        return found;
    }

    private static Instant at(LocalDate day, int hour) {
        return day.atTime(hour, 0).toInstant(ZoneOffset.UTC);
    }

    private static String signed(long number) {
        return number > 0 ? "+" + number : Long.toString(number);
    }

    /** The body rows of the table with this id, each as its cells' texts separated by spaces. */
    private static List<String> cells(String dom, String table) {
        Matcher body = Pattern.compile("<table id=\"" + table + "\">.*?<tbody>(.*?)</tbody>", Pattern.DOTALL).matcher(dom);
        assertTrue(body.find(), table + " missing in " + dom);
        List<String> rows = new ArrayList<>();
        Matcher row = Pattern.compile("<tr[^>]*>(.*?)</tr>").matcher(body.group(1));
        while (row.find()) {
            List<String> texts = new ArrayList<>();
            Matcher cell = Pattern.compile("<td class=\"[^\"]*\">([^<]*)</td>").matcher(row.group(1));
            while (cell.find()) {
                texts.add(cell.group(1));
            }
            rows.add(String.join(" ", texts));
        }
        return rows;
    }

    private static String span(String dom, String cls) {
        Matcher value = Pattern.compile("<span class=\"" + cls + "\">([^<]*)<").matcher(dom);
        assertTrue(value.find(), cls + " missing in " + dom);
        return value.group(1);
    }

    private static JsonPath api(String path, String source, String... parameters) {
        var request = given().auth().oauth2(TOKEN).queryParam("source", source);
        for (int i = 0; i < parameters.length; i += 2) {
            request = request.queryParam(parameters[i], parameters[i + 1]);
        }
        return request.when().get(path).then().statusCode(200).extract().jsonPath();
    }

    private static List<String> rows(String dom) {
        List<String> rows = new ArrayList<>();
        Matcher row = ROW.matcher(dom);
        while (row.find()) {
            rows.add(row.group(1) + " " + row.group(2) + " " + row.group(3));
        }
        return rows;
    }

    private static String tile(String dom, String id) {
        Matcher value = Pattern.compile("id=\"" + id + "\" class=\"value\">([^<]*)<").matcher(dom);
        assertTrue(value.find(), id + " missing in " + dom);
        return value.group(1);
    }

    /** The DOM after the page's scripts ran, with virtual time that waits for the page's fetches. */
    private static String render(String url) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory("tidemark-chromium-");
        Path dom = Files.createTempFile("tidemark-dom-", ".html");
        Process chromium = null;
        try {
            // The DOM goes to a file, not a pipe read to its end: a hung Chromium would block that read past
            // any timeout, and the build with it.
            chromium = new ProcessBuilder("chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + profile,
                    "--virtual-time-budget=20000", "--dump-dom", url)
                    .redirectOutput(dom.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            assertTrue(chromium.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
            assertEquals(0, chromium.exitValue(), "chromium failed");
            return Files.readString(dom, StandardCharsets.UTF_8);
        } finally {
            if (chromium != null && chromium.isAlive()) {
                // Its renderer and GPU processes first, while they can still be found as its descendants.
                List<ProcessHandle> children = chromium.descendants().toList();
                chromium.destroyForcibly();
                children.forEach(ProcessHandle::destroyForcibly);
            }
            Files.deleteIfExists(dom);
            try (Stream<Path> paths = Files.walk(profile)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }
}
