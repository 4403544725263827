package io.tidemark.faults;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tidemark.faults.FuzzCase.Expect;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.zip.GZIPOutputStream;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Generators of malformed and hostile requests for ingest's Segment API, and of the valid events
 * interleaved with them. Each kind draws a seed from QuickTheories and builds its request from it,
 * so a failing request is reproducible and shrinks toward simpler seeds.
 */
final class HostileRequests {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_ID = 256;
    private static final int MAX_EVENT = 32 * 1024;
    private static final int MAX_REQUEST = 500 * 1024;

    private final Source source;

    HostileRequests(Source source) {
        this.source = source;
    }

    /** Every hostile kind, weighted. */
    Gen<FuzzCase> hostile() {
        List<Pair<Integer, Gen<FuzzCase>>> kinds = List.of(
                kind(15, "broken-json", this::brokenJson),
                kind(15, "wrong-types", this::wrongTypes),
                kind(8, "missing-fields", this::missingFields),
                kind(8, "huge-strings", this::hugeStrings),
                kind(6, "deep-nesting", this::deepNesting),
                kind(8, "bad-encoding", this::badEncoding),
                kind(8, "bad-gzip", this::badGzip),
                kind(10, "write-keys", this::writeKeys),
                kind(8, "odd-headers", this::oddHeaders),
                kind(5, "method-path", this::methodPath),
                kind(6, "bad-batch", this::badBatch),
                kind(6, "combined-batch", this::combinedBatch),
                kind(6, "bad-import", this::badImport));
        return Generate.frequency(kinds);
    }

    private static Pair<Integer, Gen<FuzzCase>> kind(int weight, String name, BiFunction<String, SplittableRandom, FuzzCase> build) {
        return Pair.of(weight, Generate.longRange(Long.MIN_VALUE, Long.MAX_VALUE)
                .map(seed -> build.apply(name, new SplittableRandom(seed))));
    }

    // ---- valid -----------------------------------------------------------------------------------

    ObjectNode event(SplittableRandom random) {
        ObjectNode event = JSON.createObjectNode();
        event.put("messageId", "fz-" + UUID.randomUUID());
        event.put("userId", "u" + random.nextInt(1000));
        event.put("event", "Fuzz " + random.nextInt(5));
        event.putObject("properties").put("n", random.nextInt()).put("s", "x".repeat(random.nextInt(50)));
        Instant time = Instant.now().minus(random.nextLong(10 * 86_400L), ChronoUnit.SECONDS).truncatedTo(ChronoUnit.MILLIS);
        long secondOfDay = time.getEpochSecond() % 86_400;
        if (secondOfDay < 120 || secondOfDay > 86_280) {
            time = time.minusSeconds(600);
        }
        event.put("timestamp", time.toString());
        return event;
    }

    /** A valid call: one event, a gzip-encoded event, or a small batch. */
    FuzzCase validCase(SplittableRandom random) {
        int shape = random.nextInt(10);
        if (shape < 6) {
            ObjectNode event = event(random);
            return track("valid", bytes(event), auth(), Expect.ACCEPTED, List.of(event.get("messageId").asText()));
        }
        if (shape < 8) {
            ObjectNode event = event(random);
            Map<String, String> headers = auth();
            headers.put("Content-Encoding", "gzip");
            return track("valid-gzip", gzip(bytes(event)), headers, Expect.ACCEPTED, List.of(event.get("messageId").asText()));
        }
        ObjectNode body = JSON.createObjectNode();
        ArrayNode batch = body.putArray("batch");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 1 + random.nextInt(5); i++) {
            ObjectNode event = event(random).put("type", "track");
            batch.add(event);
            ids.add(event.get("messageId").asText());
        }
        return new FuzzCase("valid-batch", "POST", "/v1/batch", auth(), bytes(body), Expect.ACCEPTED, ids, Set.of());
    }

    // ---- hostile ---------------------------------------------------------------------------------

    private FuzzCase brokenJson(String kind, SplittableRandom random) {
        String valid = event(random).toString();
        String broken = switch (random.nextInt(8)) {
            // Any strict prefix of a JSON object is not JSON.
            case 0, 1, 2 -> valid.substring(0, 1 + random.nextInt(valid.length() - 1));
            case 3 -> "{" + randomAscii(random, 1 + random.nextInt(200)).replace("\"", "").replace("}", "");
            case 4 -> valid.replaceFirst("\"userId\"", "userId");
            case 5 -> valid.replace('"', '\'');
            case 6 -> valid.replaceFirst(",", ",,");
            default -> pick(random, "{", "}", "[", "{\"a\"}", "{,}", "{\"userId\":}", "nul", "tru", "{\"userId\":NaN}",
                    "/* c */{\"userId\":\"u\"}", "{\"userId\":\"u\",}", "\"unterminated", "{\"a\":[1,2}", "0x10", "+1");
        };
        return track(kind, broken.getBytes(StandardCharsets.UTF_8), auth(), Expect.PROBLEM, List.of());
    }

    private FuzzCase wrongTypes(String kind, SplittableRandom random) {
        ObjectNode event = event(random);
        String id = event.get("messageId").asText();
        switch (random.nextInt(12)) {
            case 0 -> event.putArray("messageId").add(1);
            case 1 -> event.putObject("userId").put("a", 1);
            case 2 -> event.putArray("event").add("x");
            case 3 -> event.put("timestamp", pick(random, "not-a-date", "2024-13-45T00:00:00Z", "yesterday", "", "2024-01-01"));
            case 4 -> event.put("timestamp", random.nextLong());
            case 5 -> event.put("properties", pick(random, "text", "[1]"));
            case 6 -> event.putArray("properties").add(1);
            case 7 -> event.put("context", random.nextInt());
            case 8 -> event.put("sentAt", pick(random, "soon", "12", "2024-02-30T00:00:00Z"));
            case 9 -> event.put("userId", random.nextDouble() + 0.5);
            case 10 -> event.put("messageId", true);
            default -> {
                String top = pick(random, "[]", "[{\"userId\":\"u\",\"event\":\"e\"}]", "42", "\"text\"", "null", "true");
                return track(kind, top.getBytes(StandardCharsets.UTF_8), auth(), Expect.PROBLEM, List.of());
            }
        }
        return track(kind, bytes(event), auth(), Expect.PROBLEM, List.of(id));
    }

    private FuzzCase missingFields(String kind, SplittableRandom random) {
        ObjectNode event = event(random);
        switch (random.nextInt(4)) {
            case 0 -> event.remove("userId");
            case 1 -> event.remove("event");
            case 2 -> {
                return track(kind, "{}".getBytes(StandardCharsets.UTF_8), auth(), Expect.PROBLEM, List.of());
            }
            default -> {
                return track(kind, new byte[0], auth(), Expect.PROBLEM, List.of());
            }
        }
        return track(kind, bytes(event), auth(), Expect.PROBLEM, List.of());
    }

    private FuzzCase hugeStrings(String kind, SplittableRandom random) {
        ObjectNode event = event(random);
        switch (random.nextInt(7)) {
            case 0 -> event.put("event", "E".repeat(MAX_ID + 1 + random.nextInt(5000)));
            case 1 -> event.put("userId", "U".repeat(MAX_ID + 1 + random.nextInt(5000)));
            case 2 -> event.put("messageId", "M".repeat(MAX_ID + 1 + random.nextInt(5000)));
            case 3 -> ((ObjectNode) event.get("properties")).put("big", "B".repeat(MAX_EVENT + random.nextInt(100_000)));
            case 4 -> ((ObjectNode) event.get("properties")).put("big", "B".repeat(MAX_REQUEST + random.nextInt(1_500_000)));
            case 5 -> ((ObjectNode) event.get("properties")).put("big", "B".repeat(600_000));
            default -> {
                if (random.nextInt(4) == 0) {
                    // Beyond ingest's quarkus.http.limits.max-body-size (2M): Quarkus answers before ingest does.
                    ((ObjectNode) event.get("properties")).put("big", "B".repeat(3_000_000 + random.nextInt(3_000_000)));
                    return track(kind, bytes(event), auth(), Expect.TRANSPORT_4XX, List.of());
                }
                ((ObjectNode) event.get("properties")).put("big", "B".repeat(1_000_000));
            }
        }
        return track(kind, bytes(event), auth(), Expect.PROBLEM, List.of());
    }

    private FuzzCase deepNesting(String kind, SplittableRandom random) {
        // Jackson refuses nesting deeper than 1000 (StreamReadConstraints); the parser must say 4xx, not fail.
        int depth = 1001 + random.nextInt(random.nextBoolean() ? 2000 : 50_000);
        boolean arrays = random.nextBoolean();
        boolean closed = random.nextInt(4) != 0;
        StringBuilder nested = new StringBuilder();
        nested.append((arrays ? "[" : "{\"a\":").repeat(depth)).append("1");
        if (closed) {
            nested.append((arrays ? "]" : "}").repeat(depth));
        }
        String body = "{\"userId\":\"u\",\"event\":\"deep\",\"properties\":{\"p\":" + nested + (closed ? "}}" : "");
        return track(kind, body.getBytes(StandardCharsets.UTF_8), auth(), Expect.PROBLEM, List.of());
    }

    private FuzzCase badEncoding(String kind, SplittableRandom random) {
        ObjectNode event = event(random);
        String id = event.get("messageId").asText();
        String text = event.toString();
        int at = text.indexOf("\"Fuzz") + 1;
        byte[] before = text.substring(0, at).getBytes(StandardCharsets.UTF_8);
        byte[] after = text.substring(at).getBytes(StandardCharsets.UTF_8);
        int variant = random.nextInt(7);
        byte[] bad = switch (variant) {
            case 0 -> new byte[] {(byte) 0xFF, (byte) 0xFE};
            case 1 -> new byte[] {(byte) 0xC3, 0x28};
            case 2 -> new byte[] {(byte) 0xE9, 't', (byte) 0xE9};
            case 3 -> new byte[] {(byte) 0x80};
            // Overlong '/' and a UTF-8-encoded lone surrogate: a lenient decoder lets these through.
            case 4 -> new byte[] {(byte) 0xC0, (byte) 0xAF};
            case 5 -> new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80};
            default -> new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80};
        };
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(before);
        body.writeBytes(bad);
        body.writeBytes(after);
        if (random.nextInt(5) == 0) {
            // Valid JSON in UTF-16 with a byte-order mark; a JSON-escaped lone surrogate.
            boolean utf16 = random.nextBoolean();
            byte[] bytes = utf16 ? ("\uFEFF" + text).getBytes(StandardCharsets.UTF_16BE)
                    : text.replace("\"Fuzz", "\"\\ud800Fuzz").getBytes(StandardCharsets.UTF_8);
            return track(kind, bytes, auth(), Expect.EITHER, List.of(id));
        }
        return track(kind, body.toByteArray(), auth(), variant >= 4 ? Expect.EITHER : Expect.PROBLEM, List.of(id));
    }

    private FuzzCase badGzip(String kind, SplittableRandom random) {
        ObjectNode event = event(random);
        byte[] json = bytes(event);
        Map<String, String> headers = auth();
        headers.put("Content-Encoding", "gzip");
        byte[] body = switch (random.nextInt(6)) {
            case 0 -> json;
            case 1 -> {
                byte[] gz = gzip(json);
                yield java.util.Arrays.copyOf(gz, 5 + random.nextInt(gz.length - 10));
            }
            case 2 -> randomBytes(random, 1 + random.nextInt(2000));
            case 3 -> gzip(json.length > 10 ? java.util.Arrays.copyOf(json, json.length - 5) : json);
            case 4 -> {
                // A decompression bomb: megabytes of spaces before a valid event, a few kB on the wire.
                int spaces = MAX_REQUEST + random.nextInt(random.nextInt(10) == 0 ? 50_000_000 : 3_000_000);
                yield gzipSpacesThen(spaces, json);
            }
            default -> {
                byte[] gz = gzip(json);
                gz[gz.length - 5] ^= 0x5A;
                yield gz;
            }
        };
        return track(kind, body, headers, Expect.PROBLEM, List.of());
    }

    private FuzzCase writeKeys(String kind, SplittableRandom random) {
        ObjectNode event = event(random);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json");
        switch (random.nextInt(8)) {
            case 0 -> { }
            case 1 -> headers.put("Authorization", basic("wrong-" + random.nextInt(1000) + ":"));
            case 2 -> headers.put("Authorization", "Basic !!!not-base64***");
            case 3 -> headers.put("Authorization", "Basic ");
            case 4 -> headers.put("Authorization", basic(":" + source.writeKey()));
            case 5 -> headers.put("Authorization", "Basic " + randomAscii(random, 4000 + random.nextInt(8000)).replace(" ", "x"));
            case 6 -> event.put("writeKey", "nope-" + random.nextInt(1000));
            default -> event.put("writeKey", random.nextInt());
        }
        return track(kind, bytes(event), headers, Expect.PROBLEM, List.of());
    }

    private FuzzCase oddHeaders(String kind, SplittableRandom random) {
        // Odd headers around a body that is bad for a known reason (no user), so the answer must be a problem.
        ObjectNode event = event(random);
        event.remove("userId");
        Map<String, String> headers = auth();
        int variant = random.nextInt(6);
        switch (variant) {
            case 0 -> {
                for (int i = 0; i < 20 + random.nextInt(150); i++) {
                    headers.put("X-Fuzz-" + i, randomAscii(random, random.nextInt(60)).replace(" ", "_"));
                }
            }
            case 1 -> headers.put("X-Big", "v".repeat(1000 + random.nextInt(12_000)));
            case 2 -> headers.put("Content-Type", pick(random, "text/plain", "application/xml", "multipart/form-data; boundary=x",
                    "application/json; charset=utf-16", "*/*", "garbage", ""));
            case 3 -> headers.put("Accept", pick(random, "text/html", "application/xml", "image/png", "*/*;q=0", "nonsense"));
            case 4 -> headers.put("User-Agent", "\u00e9\u00ff" + randomAscii(random, 100));
            default -> {
                // Beyond the server's header limit: the HTTP codec answers before any application code.
                headers.put("X-Huge", "h".repeat(40_000 + random.nextInt(40_000)));
                return track(kind, bytes(event), headers, Expect.TRANSPORT_4XX, List.of());
            }
        }
        return track(kind, bytes(event), headers, Expect.PROBLEM, List.of());
    }

    private FuzzCase methodPath(String kind, SplittableRandom random) {
        byte[] body = bytes(event(random));
        return switch (random.nextInt(5)) {
            case 0 -> new FuzzCase(kind, pick(random, "GET", "PUT", "DELETE", "PATCH"), "/v1/track", auth(),
                    random.nextBoolean() ? body : null, Expect.PROBLEM, List.of(), Set.of());
            case 1 -> new FuzzCase(kind, "POST", pick(random, "/v1/nope", "/v2/track", "/v1/track/extra", "/v1/"), auth(), body,
                    Expect.PROBLEM, List.of(), Set.of());
            case 2 -> new FuzzCase(kind, "POST", "/v1/track?x=" + "q".repeat(100 + random.nextInt(2000)), auth(),
                    "{}".getBytes(StandardCharsets.UTF_8), Expect.PROBLEM, List.of(), Set.of());
            case 3 -> new FuzzCase(kind, "POST", "/v1/track?" + "a".repeat(9000 + random.nextInt(20_000)), auth(), body,
                    Expect.TRANSPORT_4XX, List.of(), Set.of());
            // Vert.x Web refuses a path with a broken percent-escape before any application code runs.
            default -> new FuzzCase(kind, "POST", "/v1/%zz/track", auth(), body, Expect.TRANSPORT_4XX, List.of(), Set.of());
        };
    }

    private FuzzCase badBatch(String kind, SplittableRandom random) {
        int variant = random.nextInt(6);
        if (variant == 5) {
            // One bad event among good ones: the good ones are accepted, the bad index is named.
            ObjectNode body = JSON.createObjectNode();
            ArrayNode batch = body.putArray("batch");
            ObjectNode first = event(random).put("type", "track");
            ObjectNode bad = event(random).put("type", "track");
            bad.remove("userId");
            ObjectNode last = event(random).put("type", "track");
            batch.add(first).add(bad).add(last);
            return new FuzzCase(kind, "POST", "/v1/batch", auth(), bytes(body), Expect.PARTIAL_BATCH,
                    List.of(first.get("messageId").asText(), last.get("messageId").asText()), Set.of(1));
        }
        String body = switch (variant) {
            case 0 -> "{\"batch\":\"x\"}";
            case 1 -> "{}";
            case 2 -> "{\"batch\":{}}";
            case 3 -> "[" + event(random) + "]";
            default -> "{\"batch\":[" + event(random) + ",";
        };
        return new FuzzCase(kind, "POST", "/v1/batch", auth(), body.getBytes(StandardCharsets.UTF_8), Expect.PROBLEM, List.of(), Set.of());
    }

    /** Client times no clock holds or no mart should have: each refuses its own event. */
    private static final List<Map<String, String>> HOSTILE_TIMES = List.of(
            Map.of("originalTimestamp", "-999999999-01-01T00:00:00Z", "sentAt", "+999999999-12-31T23:59:59Z"),
            Map.of("timestamp", "+999999999-12-31T23:59:59Z"),
            Map.of("timestamp", "0001-01-01T00:00:00Z"),
            Map.of("timestamp", "-0001-06-01T00:00:00Z"),
            Map.of("timestamp", "1900-01-01T00:00:00Z"),
            Map.of("sentAt", "+999999999-12-31T23:59:59Z"));

    /**
     * Several hostile shapes in one request, beside good events: impossible and far-off times, an event
     * the batch's context takes over the event limit, a missing user; or a context that would be copied
     * into thousands of events, refused whole. The good events of a partial batch must be stored once.
     */
    private FuzzCase combinedBatch(String kind, SplittableRandom random) {
        if (random.nextInt(5) == 0) {
            ObjectNode body = JSON.createObjectNode();
            body.putObject("context").put("blob", "c".repeat(100_000 + random.nextInt(90_000)));
            ArrayNode batch = body.putArray("batch");
            for (int i = 0, n = 2_000 + random.nextInt(4_000); i < n; i++) {
                batch.addObject().put("type", "track").put("userId", "u").put("event", "e");
            }
            return new FuzzCase(kind, "POST", "/v1/batch", auth(), bytes(body), Expect.PROBLEM, List.of(), Set.of());
        }
        ObjectNode body = JSON.createObjectNode();
        body.putObject("context").put("note", "c".repeat(random.nextInt(2_000)));
        ArrayNode batch = body.putArray("batch");
        List<String> good = new ArrayList<>();
        Set<Integer> bad = new HashSet<>();
        int size = 3 + random.nextInt(8);
        for (int i = 0; i < size; i++) {
            ObjectNode event = event(random).put("type", "track");
            boolean hostile = i == 0 || (i != size - 1 && random.nextBoolean());
            if (!hostile) {
                good.add(event.get("messageId").asText());
            } else {
                bad.add(i);
                switch (random.nextInt(HOSTILE_TIMES.size() + 2)) {
                    case 0 -> event.remove("userId");
                    case 1 -> event.putObject("properties").put("p", "p".repeat(33_000));
                    default -> {
                        event.remove("timestamp");
                        HOSTILE_TIMES.get(random.nextInt(HOSTILE_TIMES.size())).forEach(event::put);
                    }
                }
            }
            batch.add(event);
        }
        return new FuzzCase(kind, "POST", "/v1/batch", auth(), bytes(body), Expect.PARTIAL_BATCH, good, bad);
    }

    /**
     * The bulk import channel: a file of good lines with hostile ones among them (the good ones are
     * stored, the bad line numbers listed), or a request refused whole.
     */
    private FuzzCase badImport(String kind, SplittableRandom random) {
        Map<String, String> headers = auth();
        headers.put("Content-Type", "application/x-ndjson");
        int variant = random.nextInt(5);
        if (variant == 0) {
            headers.put("Authorization", basic(pick(random, "", "nope:", source.writeKey() + "x:")));
            return new FuzzCase(kind, "POST", "/bulk/v1/import", headers, bytes(event(random).put("type", "track")), Expect.PROBLEM,
                    List.of(), Set.of());
        }
        if (variant == 1) {
            headers.put("Content-Encoding", pick(random, "gzip", "br", "deflate"));
            return new FuzzCase(kind, "POST", "/bulk/v1/import", headers, randomBytes(random, 1 + random.nextInt(2000)),
                    Expect.PROBLEM, List.of(), Set.of());
        }
        StringBuilder file = new StringBuilder();
        List<String> ids = new ArrayList<>();
        Set<Integer> badLines = new java.util.TreeSet<>();
        int lines = 2 + random.nextInt(40);
        for (int line = 1; line <= lines; line++) {
            if (random.nextInt(4) == 0) {
                badLines.add(line);
                file.append(switch (random.nextInt(5)) {
                    case 0 -> "{\"type\":\"track\",\"userId\":";
                    case 1 -> "[1,2,3]";
                    case 2 -> event(random).put("type", "track").put("userId", true).toString();
                    case 3 -> event(random).put("type", "teleport").toString();
                    default -> "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"" + "z".repeat(40_000) + "\"}";
                });
            } else {
                ObjectNode event = event(random).put("type", "track");
                ids.add(event.get("messageId").asText());
                file.append(event);
            }
            file.append(random.nextInt(8) == 0 ? "\r\n" : "\n");
        }
        byte[] body = file.toString().getBytes(StandardCharsets.UTF_8);
        if (variant == 4) {
            headers.put("Content-Encoding", "gzip");
            body = gzip(body);
        }
        return new FuzzCase(kind, "POST", "/bulk/v1/import", headers, body, Expect.PARTIAL_IMPORT, ids, badLines);
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private FuzzCase track(String kind, byte[] body, Map<String, String> headers, Expect expect, List<String> ids) {
        return new FuzzCase(kind, "POST", "/v1/track", headers, body, expect, ids, Set.of());
    }

    Map<String, String> auth() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", basic(source.writeKey() + ":"));
        headers.put("Content-Type", "application/json");
        return headers;
    }

    private static String basic(String userInfo) {
        return "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] bytes(ObjectNode node) {
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] gzipSpacesThen(int spaces, byte[] json) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            byte[] block = " ".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
            for (int left = spaces; left > 0; left -= block.length) {
                gz.write(block, 0, Math.min(left, block.length));
            }
            gz.write(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static String randomAscii(SplittableRandom random, int length) {
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            text.append((char) (0x20 + random.nextInt(0x5F)));
        }
        return text.toString();
    }

    private static byte[] randomBytes(SplittableRandom random, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) random.nextInt(256);
        }
        return bytes;
    }

    @SafeVarargs
    private static <T> T pick(SplittableRandom random, T... options) {
        return options[random.nextInt(options.length)];
    }
}
