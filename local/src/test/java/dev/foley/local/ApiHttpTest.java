package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.json.Json;
import dev.foley.store.ApiKeyStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The API over real HTTP, through {@code ./foley serve}'s server (API Gateway events into the
 * real Lambda handler) and moto's DynamoDB.
 */
@ExtendWith(Moto.class)
class ApiHttpTest {

    static final dev.foley.provider.emulator.WaveSpeedEmulator EMULATOR = emulator();
    static LocalFoley foley;

    static dev.foley.provider.emulator.WaveSpeedEmulator emulator() {
        try {
            return new dev.foley.provider.emulator.WaveSpeedEmulator("ws-key");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
    static String key;
    static String otherKey;
    static final HttpClient http = HttpClient.newHttpClient();
    static final String VIDEO = "{\"video\":\"https://cdn.example.com/dog.mp4\",\"prompt\":\"a dog barks twice\"}";

    @BeforeAll
    static void start() throws Exception {
        var o = new LocalFoley.Options(0, Moto.endpoint(), Moto.template(), Moto.tableName("api"), "fk_test-dev-key-0123456789",
                false, Moto.wavespeed(EMULATOR), Moto.projectRoot().resolve("local/target/local-data"));
        foley = LocalFoley.start(o);
        key = foley.apiKey();
        otherKey = new ApiKeyStore(foley.dynamo(), foley.settings().table(), Clock.systemUTC()).create("other").plainKey();
    }

    @AfterAll
    static void stop() {
        foley.close();
        EMULATOR.close();
    }

    record Reply(int status, JsonNode json, String raw, HttpResponse<String> response) {
        JsonNode data() {
            return json.get("data");
        }
    }

    static Reply call(String method, String path, String body, String... headers) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(foley.baseUrl() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = r.body().isEmpty() ? null : Json.parse(r.body());
        return new Reply(r.statusCode(), json, r.body(), r);
    }

    static Reply submit(String path, String body, String... extra) throws Exception {
        List<String> h = new ArrayList<>(List.of("Authorization", "Bearer " + key, "Content-Type", "application/json"));
        h.addAll(List.of(extra));
        return call("POST", path, body, h.toArray(String[]::new));
    }

    static Reply get(String path, String bearer) throws Exception {
        return call("GET", path, null, "Authorization", "Bearer " + bearer);
    }

    static void assertError(Reply r, int status, String messagePart) {
        assertEquals(status, r.status(), r.raw());
        assertEquals(status, r.json().get("code").asInt(), r.raw());
        assertTrue(r.json().get("data").isNull(), r.raw());
        assertTrue(r.json().get("message").asText().contains(messagePart), r.raw());
        assertFalse(r.raw().contains("Exception") || r.raw().contains("\tat ") || r.raw().contains("dev.foley."), r.raw());
    }

    @Test
    void submitsVideoToAudioAndReadsItBackInTheHostedEnvelope() throws Exception {
        Reply s = submit("/api/v3/wavespeed-ai/mmaudio-v2", VIDEO,
                "X-Client-Name", "wavespeed-python", "X-Client-Version", "0.3.2", "X-Client-OS", "linux");
        assertEquals(200, s.status(), s.raw());
        assertEquals(200, s.json().get("code").asInt());
        assertEquals("success", s.json().get("message").asText());
        JsonNode d = s.data();
        assertTrue(d.get("id").asText().matches("[0-9a-f]{32}"));
        assertEquals("wavespeed-ai/mmaudio-v2", d.get("model").asText());
        assertEquals("processing", d.get("status").asText(), "handed to the provider at once");
        assertTrue(d.get("created_at").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"));
        String get = d.at("/urls/get").asText();
        assertEquals(foley.baseUrl() + "/api/v3/predictions/" + d.get("id").asText() + "/result", get);

        // urls.get is absolute and works as given, as the SDKs use it.
        Reply viaUrl = http.send(HttpRequest.newBuilder(URI.create(get)).header("Authorization", "Bearer " + key).build(),
                HttpResponse.BodyHandlers.ofString()).body() instanceof String b ? new Reply(200, Json.parse(b), b, null) : null;
        assertEquals(d, viaUrl.data());
        Reply plain = get("/api/v3/predictions/" + d.get("id").asText(), key);
        assertEquals(d, plain.data());
    }

    @Test
    void submitsTextToAudio() throws Exception {
        Reply s = submit("/api/v3/wavespeed-ai/mmaudio-v2/text-to-audio", "{\"prompt\":\"雨 on a tin roof 🌧\",\"duration\":5,\"seed\":42}");
        assertEquals(200, s.status(), s.raw());
        assertEquals("wavespeed-ai/mmaudio-v2/text-to-audio", s.data().get("model").asText());
        Reply listed = get("/api/v3/predictions?limit=100", key);
        JsonNode item = null;
        for (JsonNode i : listed.data().get("items")) {
            if (i.get("id").equals(s.data().get("id"))) {
                item = i;
            }
        }
        assertNotNull(item);
        assertEquals("雨 on a tin roof 🌧", item.at("/input/prompt").asText());
        assertEquals(42, item.at("/input/seed").asInt());
    }

    @Test
    void badBodiesAre400sNamingEachField() throws Exception {
        Reply r = submit("/api/v3/wavespeed-ai/mmaudio-v2",
                "{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"x\",\"duration\":45,\"num_steps\":10}");
        assertError(r, 400, "duration: must be an integer between 1 and 30, got 45");
        assertTrue(r.json().get("message").asText().contains("num_steps: unknown field"));
        assertEquals(2, r.json().get("errors").size());
        assertError(submit("/api/v3/wavespeed-ai/mmaudio-v2", ""), 400, "body: required");
        assertError(submit("/api/v3/wavespeed-ai/mmaudio-v2", "[]"), 400, "body: must be a JSON object");
        assertError(submit("/api/v3/wavespeed-ai/mmaudio-v2", "{\"prompt\":"), 400, "body: is not valid JSON");
        assertError(submit("/api/v3/wavespeed-ai/mmaudio-v2", "{\"video\":\"https://a.example/v.mp4\",\"prompt\":\"x\",\"duration\":\"8\"}"),
                400, "duration: must be an integer between 1 and 30, got \"8\"");
        assertError(submit("/api/v3/wavespeed-ai/mmaudio-v2?webhook=ftp://x", VIDEO), 400, "webhook: must be an http(s) URL");
        assertError(submit("/api/v3/wavespeed-ai/mmaudio-v2/text-to-audio", VIDEO), 400, "video: not accepted by text-to-audio");
    }

    @Test
    void authFailuresAre401() throws Exception {
        assertError(call("POST", "/api/v3/wavespeed-ai/mmaudio-v2", VIDEO, "Content-Type", "application/json"), 401, "missing API key");
        assertError(call("POST", "/api/v3/wavespeed-ai/mmaudio-v2", VIDEO, "Authorization", "Bearer fk_nope"), 401, "invalid API key");
        assertError(call("GET", "/api/v3/predictions", null, "Authorization", "Basic dXNlcjpwdw=="), 401, "Bearer");
        Reply r = call("GET", "/api/v3/predictions", null);
        assertEquals("Bearer", r.response().headers().firstValue("www-authenticate").orElse(""));
    }

    @Test
    void disabledKeyIs401() throws Exception {
        var keys = new ApiKeyStore(foley.dynamo(), foley.settings().table(), Clock.systemUTC());
        var k = keys.create("short-lived");
        assertTrue(keys.disable(k.key().keyId()));
        assertError(get("/api/v3/predictions", k.plainKey()), 401, "disabled");
    }

    @Test
    void unknownAndForeignPredictionsAreAlike404() throws Exception {
        String id = submit("/api/v3/wavespeed-ai/mmaudio-v2", VIDEO).data().get("id").asText();
        assertError(get("/api/v3/predictions/" + id + "/result", otherKey), 404, "not found");
        assertError(get("/api/v3/predictions/0123456789abcdef0123456789abcdef/result", key), 404, "not found");
        assertError(get("/api/v3/predictions/..%2F..%2Fetc/result", key), 404, "not found");
        assertError(call("POST", "/api/v3/predictions/" + id + "/cancel", null, "Authorization", "Bearer " + otherKey), 404, "not found");
        assertError(get("/api/v3/nothing-here", key), 404, "no such route");
    }

    @Test
    void wrongMethodIs405WithAllow() throws Exception {
        Reply r = call("DELETE", "/api/v3/predictions", null, "Authorization", "Bearer " + key);
        assertError(r, 405, "not allowed");
        assertEquals("GET, POST", r.response().headers().firstValue("allow").orElse(""), "the list and the hosted history");
        assertError(call("GET", "/api/v3/wavespeed-ai/mmaudio-v2", null, "Authorization", "Bearer " + key), 405, "POST");
        // Methods are case-sensitive: "get" is not GET.
        assertError(call("get", "/api/v3/balance", null, "Authorization", "Bearer " + key), 405, "method get not allowed");
    }

    @Test
    void oversizedBodyIs413AndNonJsonIs415() throws Exception {
        String big = "{\"video\":\"https://a.example/v.mp4\",\"prompt\":\"" + "x".repeat(70 * 1024) + "\"}";
        assertError(submit("/api/v3/wavespeed-ai/mmaudio-v2", big), 413, "at most 65536 bytes");
        assertError(call("POST", "/api/v3/wavespeed-ai/mmaudio-v2", VIDEO, "Authorization", "Bearer " + key,
                "Content-Type", "text/plain"), 415, "application/json");
        assertError(call("POST", "/api/v3/wavespeed-ai/mmaudio-v2", VIDEO, "Authorization", "Bearer " + key,
                "Content-Type", "multipart/form-data; boundary=x"), 415, "application/json");
        // A charset parameter is fine.
        assertEquals(200, call("POST", "/api/v3/wavespeed-ai/mmaudio-v2", VIDEO, "Authorization", "Bearer " + key,
                "Content-Type", "application/json; charset=utf-8").status());
    }

    @Test
    void idempotencyKeyReplaysAndRefusesAnotherBody() throws Exception {
        String k = "idem-" + System.nanoTime();
        Reply a = submit("/api/v3/wavespeed-ai/mmaudio-v2", VIDEO, "Idempotency-Key", k);
        Reply b = submit("/api/v3/wavespeed-ai/mmaudio-v2", VIDEO, "Idempotency-Key", k);
        assertEquals(200, b.status());
        assertEquals(a.data().get("id"), b.data().get("id"));
        // Same meaning, spelled differently (defaults explicit): still the same request.
        Reply c = submit("/api/v3/wavespeed-ai/mmaudio-v2",
                "{\"prompt\":\"a dog barks twice\",\"video\":\"https://cdn.example.com/dog.mp4\",\"duration\":8}", "Idempotency-Key", k);
        assertEquals(a.data().get("id"), c.data().get("id"));
        assertError(submit("/api/v3/wavespeed-ai/mmaudio-v2", VIDEO.replace("twice", "once"), "Idempotency-Key", k), 422, "Idempotency-Key");
        assertError(submit("/api/v3/wavespeed-ai/mmaudio-v2", VIDEO, "Idempotency-Key", "x".repeat(300)), 400, "Idempotency-Key");
        // The same client key under another API key is another claim.
        Reply other = call("POST", "/api/v3/wavespeed-ai/mmaudio-v2", VIDEO, "Authorization", "Bearer " + otherKey,
                "Content-Type", "application/json", "Idempotency-Key", k);
        assertNotEquals(a.data().get("id"), other.data().get("id"));
    }

    @Test
    void cancelMakesItCancelledOnceThen409() throws Exception {
        String id = submit("/api/v3/wavespeed-ai/mmaudio-v2", VIDEO).data().get("id").asText();
        Reply c = call("POST", "/api/v3/predictions/" + id + "/cancel", null, "Authorization", "Bearer " + key);
        assertEquals(200, c.status(), c.raw());
        assertEquals("cancelled", c.data().get("status").asText());
        assertEquals("cancelled", get("/api/v3/predictions/" + id + "/result", key).data().get("status").asText());
        assertError(call("POST", "/api/v3/predictions/" + id + "/cancel", null, "Authorization", "Bearer " + key), 409, "already cancelled");
    }

    @Test
    void listIsTheCallersNewestFirstAndPaginated() throws Exception {
        var keys = new ApiKeyStore(foley.dynamo(), foley.settings().table(), Clock.systemUTC());
        String mine = keys.create("lister").plainKey();
        List<String> made = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Reply r = call("POST", "/api/v3/wavespeed-ai/mmaudio-v2/text-to-audio", "{\"prompt\":\"p" + i + "\"}",
                    "Authorization", "Bearer " + mine, "Content-Type", "application/json");
            made.add(0, r.data().get("id").asText());
            Thread.sleep(3); // distinct created_at, so newest-first is well defined
        }
        List<String> seen = new ArrayList<>();
        String cursor = null;
        do {
            Reply page = get("/api/v3/predictions?limit=2" + (cursor == null ? "" : "&cursor=" + cursor), mine);
            assertEquals(200, page.status(), page.raw());
            assertTrue(page.data().get("items").size() <= 2);
            page.data().get("items").forEach(i -> seen.add(i.get("id").asText()));
            cursor = page.data().get("next_cursor").isNull() ? null : page.data().get("next_cursor").asText();
        } while (cursor != null);
        assertEquals(made, seen);
        assertError(get("/api/v3/predictions?limit=0", mine), 400, "limit: must be an integer between 1 and 100");
        assertError(get("/api/v3/predictions?limit=abc", mine), 400, "limit");
        assertError(get("/api/v3/predictions?cursor=%25%25", mine), 400, "cursor");
        assertError(get("/api/v3/predictions?cursor=bm9wZQ", mine), 400, "cursor");
    }

    @Test
    void thePlaygroundIsServedWithAStrictContentSecurityPolicy() throws Exception {
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(foley.baseUrl() + "/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("content-type").orElse("").startsWith("text/html"));
        String csp = page.headers().firstValue("content-security-policy").orElse("");
        assertTrue(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), csp);
        assertFalse(page.body().contains("<script>"), "no inline script");
        long total = 0;
        for (String f : List.of("app.js", "form.js", "media.js", "style.css")) {
            var r = http.send(HttpRequest.newBuilder(URI.create(foley.baseUrl() + "/playground/" + f)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r.statusCode(), f);
            total += r.body().length;
        }
        assertTrue(total + page.body().length() < 100_000, "the playground stays under its 100 KB budget: " + total);
        assertEquals(404, http.send(HttpRequest.newBuilder(URI.create(foley.baseUrl() + "/playground/../pom.xml")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode());
        JsonNode cfg = Json.parse(http.send(HttpRequest.newBuilder(URI.create(foley.baseUrl() + "/playground/config.json")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        assertEquals(key, cfg.get("devKey").asText(), "local mode pre-fills its dev key");
        JsonNode doc = Json.parse(http.send(HttpRequest.newBuilder(URI.create(foley.baseUrl() + "/openapi.json")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        assertEquals("3.1.0", doc.get("openapi").asText());
    }

    @Test
    void theDevKeyReachesOnlyThePlaygroundsOwnPage() throws Exception {
        URI config = URI.create(foley.baseUrl() + "/playground/config.json");
        // What a page on another origin gets: refused, and nothing a browser would let it read.
        for (String[] h : new String[][] {{"Origin", "https://evil.example"}, {"Sec-Fetch-Site", "cross-site"},
            {"Origin", "http://127.0.0.1:1"}, {"Origin", "null"}}) {
            var r = http.send(HttpRequest.newBuilder(config).header(h[0], h[1]).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(403, r.statusCode(), h[0] + ": " + h[1]);
            assertFalse(r.body().contains(key), "no key in the refusal (which says only that it is refused)");
        }
        // The playground's own page (same origin, as its fetch sends it) gets the key, uncached and for itself only.
        var own = http.send(HttpRequest.newBuilder(config).header("Origin", foley.baseUrl()).header("Sec-Fetch-Site", "same-origin").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, own.statusCode());
        assertEquals(key, Json.parse(own.body()).get("devKey").asText());
        assertEquals("no-store", own.headers().firstValue("cache-control").orElse(""));
        assertTrue(own.headers().firstValue("access-control-allow-origin").isEmpty(), "never readable by another origin");
    }

    /** GET /api/v3/models: every model this deployment's provider serves, from the registry, each path a route that answers. */
    @Test
    void theModelListShowsEachServedModelWithItsPathsParametersAndPrice() throws Exception {
        Reply r = get("/api/v3/models", key);
        assertEquals(200, r.status(), r.raw());
        JsonNode models = r.data().get("models");
        List<String> ids = new ArrayList<>();
        models.forEach(m -> ids.add(m.get("id").asText()));
        assertEquals(List.of("wavespeed-ai/mmaudio-v2", "wavespeed-ai/mmaudio-v2/text-to-audio", "wavespeed-ai/hunyuan-video-foley",
                "wavespeed-ai/think-sound", "kwaivgi/kling-video-to-audio", "mirelo-ai/sfx-v1/video-to-audio"), ids,
                "WaveSpeed serves every model Foley knows");
        JsonNode kling = models.get(4);
        assertEquals("0.035", kling.at("/price/usd").asText());
        assertEquals("video", kling.at("/price/unit").asText());
        assertEquals("window", kling.at("/price/long_path_unit").asText(), "a per-video price is per window on the long path");
        assertEquals("/api/v3/foley/kling-video-to-audio-long", kling.get("long_path").asText());
        assertEquals(48_000, models.get(2).at("/output/sample_rate").asInt());
        assertEquals(2, models.get(2).at("/output/channels").asInt());
        JsonNode video = models.get(0);
        assertEquals("/api/v3/wavespeed-ai/mmaudio-v2", video.get("path").asText());
        assertEquals("/api/v3/foley/mmaudio-v2-long", video.get("long_path").asText());
        assertTrue(models.get(1).get("long_path").isNull(), "text to audio has no long path");
        assertEquals("[\"wavespeed\"]", video.get("providers").toString(), "served here by the configured provider");
        assertEquals("0.001", video.at("/price/usd").asText());
        assertEquals("second", video.at("/price/unit").asText());
        JsonNode duration = null;
        for (JsonNode p : video.get("parameters")) {
            if (p.get("name").asText().equals("duration")) {
                duration = p;
            }
        }
        assertNotNull(duration, video.toString());
        assertEquals(30, duration.get("maximum").asInt());
        assertEquals(8, duration.get("default").asInt());
        // Every path it lists is one the API serves: a bad request there is the API's own 400, not a 404.
        for (JsonNode m : models) {
            for (String path : new String[] {m.get("path").asText(), m.get("long_path").asText(null)}) {
                if (path != null) {
                    assertError(submit(path, "{\"prompt\":\"p\",\"duration\":0}"), 400, "duration");
                }
            }
        }
        assertError(get("/api/v3/models", null), 401, "");
        assertError(get("/api/v3/models?x=1", key), 400, "query x: unknown parameter (this route takes none)");
    }

    @Test
    void anUnknownQueryParameterIsA400NamingItNotASilentlyLostWebhook() throws Exception {
        Reply typo = call("POST", "/api/v3/wavespeed-ai/mmaudio-v2?webhok=https://hooks.example.com/x",
                "{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"p\"}", "Authorization", "Bearer " + key);
        assertError(typo, 400, "query webhok: unknown parameter; did you mean webhook?");
        assertError(get("/api/v3/predictions?limt=5", key), 400, "query limt: unknown parameter; did you mean limit?");
        assertError(get("/api/v3/balance?x=1", key), 400, "query x: unknown parameter (this route takes none)");
        assertEquals(200, get("/api/v3/predictions?limit=5", key).status());
        assertEquals(200, get("/api/v3/usage?from=2026-01-01&to=2026-01-02", key).status());
    }

    @Test
    void invalidUtf8IsRefusedNamingTheBodyNeverRepaired() throws Exception {
        String[][] cases = {{"FF", "0xFF"}, {"C0AF", "0xC0"}, {"EDA080", "0xED"}};
        for (String[] c : cases) {
            byte[] bad = java.util.HexFormat.of().parseHex(c[0]);
            byte[] head = "{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"a".getBytes(StandardCharsets.UTF_8);
            byte[] tail = "\"}".getBytes(StandardCharsets.UTF_8);
            byte[] body = new byte[head.length + bad.length + tail.length];
            System.arraycopy(head, 0, body, 0, head.length);
            System.arraycopy(bad, 0, body, head.length, bad.length);
            System.arraycopy(tail, 0, body, head.length + bad.length, tail.length);
            var r = http.send(HttpRequest.newBuilder(URI.create(foley.baseUrl() + "/api/v3/wavespeed-ai/mmaudio-v2"))
                    .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, r.statusCode(), c[0] + ": " + r.body());
            assertTrue(r.body().contains("body: is not valid JSON: not valid UTF-8 (byte " + c[1] + " at offset " + head.length + ")"),
                    c[0] + ": " + r.body());
        }
    }

    @Test
    void secretsAreNeverCachedAndNoAnswerIsSniffed() throws Exception {
        Reply secret = get("/api/v3/webhook/secret", key);
        assertEquals(200, secret.response().statusCode());
        assertEquals("no-store", secret.response().headers().firstValue("cache-control").orElse(""));
        for (Reply r : List.of(secret, get("/api/v3/predictions", key), get("/api/v3/usage", "fk_wrong-key-000000000000000000"),
                get("/nowhere", key), get("/health", null))) {
            assertEquals("nosniff", r.response().headers().firstValue("x-content-type-options").orElse(""), r.response().uri().toString());
        }
    }

    @Test
    void browsersOnOtherOriginsMayCallTheApi() throws Exception {
        HttpResponse<String> pre = http.send(HttpRequest.newBuilder(URI.create(foley.baseUrl() + "/api/v3/wavespeed-ai/mmaudio-v2"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "https://app.example.com")
                .header("Access-Control-Request-Method", "POST").header("Access-Control-Request-Headers", "authorization, content-type")
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(204, pre.statusCode());
        assertEquals("*", pre.headers().firstValue("access-control-allow-origin").orElse(""));
        assertTrue(pre.headers().firstValue("access-control-allow-headers").orElse("").contains("authorization"));
        Reply r = get("/api/v3/predictions/0123456789abcdef0123456789abcdef/result", key);
        assertEquals("*", r.response().headers().firstValue("access-control-allow-origin").orElse(""));
        assertError(call("OPTIONS", "/nowhere", null), 404, "no such route");
    }

    @Test
    void healthNeedsNoKey() throws Exception {
        Reply r = call("GET", "/health", null);
        assertEquals(200, r.status());
        assertEquals("ok", r.json().get("status").asText());
    }

    @Test
    void rejectedRequestsStoreNothing() throws Exception {
        var keys = new ApiKeyStore(foley.dynamo(), foley.settings().table(), Clock.systemUTC());
        String k = keys.create("rejects").plainKey();
        List<String> bad = List.of("", "[]", "{}", "{\"prompt\":\"x\"}", "{\"video\":\"https://a.example/v\",\"prompt\":\"x\",\"seed\":-1}",
                "{\"video\":\"https://a.example/v\",\"prompt\":\"x\",\"num_steps\":4}", "not json", "{\"video\":1,\"prompt\":2}");
        for (String b : bad) {
            Reply r = call("POST", "/api/v3/wavespeed-ai/mmaudio-v2", b, "Authorization", "Bearer " + k, "Content-Type", "application/json");
            assertEquals(400, r.status(), b);
        }
        assertEquals(0, get("/api/v3/predictions", k).data().get("items").size());
    }

    @Test
    void localServerBuildsApiGatewayEvents() throws Exception {
        // A query parameter with percent-encoding and a cookie go through as API Gateway sends them.
        Map<String, String> seen = new HashMap<>();
        var probe = LocalServer.start(0, (event, ctx) -> {
            seen.put("rawPath", event.getRawPath());
            seen.put("rawQuery", event.getRawQueryString());
            seen.put("routeKey", event.getRouteKey());
            seen.put("id", event.getPathParameters() == null ? null : event.getPathParameters().get("id"));
            seen.put("cookies", String.valueOf(event.getCookies()));
            seen.put("xname", event.getHeaders().get("x-client-name"));
            seen.put("b64", String.valueOf(event.getIsBase64Encoded()));
            return com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse.builder()
                    .withStatusCode(204).build();
        });
        try {
            http.send(HttpRequest.newBuilder(URI.create(probe.baseUrl() + "/api/v3/predictions/abc/result?webhook=https%3A%2F%2Fx"))
                    .header("X-Client-Name", "sdk").header("Cookie", "a=1; b=2").build(), HttpResponse.BodyHandlers.discarding());
            assertEquals("/api/v3/predictions/abc/result", seen.get("rawPath"));
            assertEquals("webhook=https%3A%2F%2Fx", seen.get("rawQuery"));
            assertEquals("GET /api/v3/predictions/{id}/result", seen.get("routeKey"));
            assertEquals("abc", seen.get("id"));
            assertEquals("[a=1, b=2]", seen.get("cookies"));
            assertEquals("sdk", seen.get("xname"));
            http.send(HttpRequest.newBuilder(URI.create(probe.baseUrl() + "/x")).header("Content-Type", "video/mp4")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {0, 1, 2})).build(), HttpResponse.BodyHandlers.discarding());
            assertEquals("true", seen.get("b64"));
        } finally {
            probe.close();
        }
    }
}
