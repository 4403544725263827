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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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
        try {
            Process chromium = new ProcessBuilder("chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + profile,
                    "--virtual-time-budget=20000", "--dump-dom", url)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            byte[] out = chromium.getInputStream().readAllBytes();
            assertTrue(chromium.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
            assertEquals(0, chromium.exitValue(), "chromium failed");
            return new String(out, StandardCharsets.UTF_8);
        } finally {
            try (Stream<Path> paths = Files.walk(profile)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }
}
