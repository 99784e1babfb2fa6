package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.api.FoleyApi;
import dev.foley.config.Settings;
import dev.foley.functions.api.ApiHandler;
import dev.foley.json.Json;
import dev.foley.store.ApiKeyStore;
import dev.foley.store.PredictionStore;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * Generated input: 10,000 random and mutated requests (bodies, headers, query strings, paths,
 * methods) through the real handler and moto. Every answer is a 2xx or a 4xx in the envelope,
 * never a 5xx or a stack trace, and only accepted submits store anything.
 */
class ApiFuzzTest {

    static final String KEY = "fk_fuzz-key-0123456789abcdef";
    static ApiHandler handler;
    static PredictionStore store;
    static dev.foley.provider.emulator.WaveSpeedEmulator emulator;
    static final java.util.Set<String> accepted = java.util.concurrent.ConcurrentHashMap.newKeySet();
    static final List<String> fieldNames = List.of("video", "prompt", "negative_prompt", "num_inference_steps", "duration",
            "guidance_scale", "mask_away_clip", "seed", "enable_sync_mode", "num_steps", "cfg_strength", "", "Prompt", "__proto__");

    @BeforeContainer
    static void wire() throws Exception {
        Settings s = Moto.settings(Moto.tableName("fuzz"), Map.of());
        DynamoDbClient dynamo = Moto.freshTable(s);
        new ApiKeyStore(dynamo, s.table(), Clock.systemUTC()).create("fuzz", KEY);
        store = new PredictionStore(dynamo, s.table(), Clock.systemUTC(), 4, Duration.ofDays(7));
        emulator = new dev.foley.provider.emulator.WaveSpeedEmulator("ws-key");
        handler = new ApiHandler(Moto.foley(s, dynamo, Moto.providers(Moto.wavespeed(emulator))).api());
    }

    @AfterContainer
    static void nothingStoredForRejectedRequests() {
        int stored = 0;
        // Count every prediction of the fuzz key (through the API's own list, all pages).
        APIGatewayV2HTTPEvent e = event("GET", "/api/v3/predictions", "limit=100", Map.of("authorization", "Bearer " + KEY), null, false);
        String cursor;
        do {
            JsonNode page = Json.parse(Lambdas.api(handler, e).getBody()).get("data");
            stored += page.get("items").size();
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
            e.setRawQueryString("limit=100&cursor=" + cursor);
        } while (cursor != null);
        System.out.println("fuzz: " + accepted.size() + " submits accepted, " + stored + " predictions stored");
        assertTrue(accepted.size() > 100, "the generators must also produce valid requests");
        assertEquals(accepted.size(), stored, "stored predictions must equal accepted submits");
        assertEquals(accepted.size(), emulator.requests(dev.foley.provider.emulator.ProviderEmulator.Op.SUBMIT).size(),
                "each accepted submit reached the provider once; no rejected one did");
        emulator.close();
    }

    static APIGatewayV2HTTPEvent event(String method, String path, String query, Map<String, String> headers, String body, boolean b64) {
        return ApiEvents.of(method, path, query, headers, body, b64);
    }

    static void check(APIGatewayV2HTTPEvent e) {
        APIGatewayV2HTTPResponse r = Lambdas.api(handler, e);
        int code = r.getStatusCode();
        String where = e.getRequestContext().getHttp().getMethod() + " " + e.getRawPath() + "?" + e.getRawQueryString()
                + " " + e.getHeaders() + " body=" + e.getBody();
        assertTrue(code >= 200 && code < 500, "got " + code + " for " + where + ": " + r.getBody());
        assertFalse(r.getBody().contains("Exception") || r.getBody().contains("\tat "), r.getBody());
        if (code == 204) {
            assertEquals("OPTIONS", e.getRequestContext().getHttp().getMethod(), "only a CORS preflight answers 204: " + where);
            return;
        }
        String type = r.getHeaders() == null ? "" : r.getHeaders().getOrDefault("content-type", "");
        if (!type.startsWith("application/json")) {
            // the playground's files and the YAML document: only ever served with a 200
            assertEquals(200, code, where);
            return;
        }
        JsonNode json = Json.parse(r.getBody());
        // Every error, and every answer of the hosted contract (/api/…), is the envelope; the
        // health check, the JSON OpenAPI document, the playground's config and a provider
        // callback's acknowledgement are plain JSON.
        if (code >= 400 || e.getRawPath().startsWith("/api/")) {
            assertEquals(code, json.get("code").asInt(), r.getBody());
            assertFalse(json.get("message").asText().isEmpty());
            if (code >= 400) {
                assertTrue(json.get("data").isNull());
            }
        }
        boolean submit = e.getRequestContext().getHttp().getMethod().equals("POST") && e.getRawPath().contains("mmaudio-v2");
        if (submit && code == 200) {
            accepted.add(json.at("/data/id").asText()); // an idempotent replay answers an id already seen
        }
    }

    // ---- bodies: valid ones mutated field by field ----

    @Provide
    Arbitrary<JsonNode> anyJsonValue() {
        return Arbitraries.oneOf(
                Arbitraries.integers().between(-100, 100).map(i -> Json.parse(Integer.toString(i))),
                Arbitraries.doubles().between(-50, 50).map(d -> Json.parse(Double.toString(d))),
                Arbitraries.strings().ofMaxLength(30).map(s -> Json.MAPPER.getNodeFactory().textNode(s)),
                Arbitraries.of("true", "false", "null", "[]", "{}", "[1,\"a\"]", "1e309", "-0", "65535", "65536", "4.5",
                        "\"https://cdn.example.com/v.mp4\"", "\"http://127.0.0.1/x\"", "\"ftp://x\"", "\"\"", "\"8\"")
                        .map(Json::parse));
    }

    @Property(tries = 4000)
    void mutatedSubmitBodies(@ForAll("mutations") List<Map.Entry<String, JsonNode>> changes,
            @ForAll boolean text, @ForAll boolean dropVideo) {
        ObjectNode body = (ObjectNode) Json.parse("{\"video\":\"https://cdn.example.com/v.mp4\",\"prompt\":\"rain\"}");
        if (dropVideo || text) {
            body.remove("video");
        }
        for (var c : changes) {
            if (c.getValue() == null) {
                body.remove(c.getKey());
            } else {
                body.set(c.getKey(), c.getValue());
            }
        }
        String path = text ? FoleyApi.SUBMIT_TEXT : FoleyApi.SUBMIT_VIDEO;
        check(event("POST", path, "", Map.of("authorization", "Bearer " + KEY, "content-type", "application/json"),
                Json.write(body), false));
    }

    @Provide
    Arbitrary<List<Map.Entry<String, JsonNode>>> mutations() {
        Arbitrary<Map.Entry<String, JsonNode>> one = Combinators.combine(
                Arbitraries.oneOf(Arbitraries.of(fieldNames), Arbitraries.strings().ofMaxLength(12)),
                Arbitraries.oneOf(anyJsonValue(), Arbitraries.just(null)))
                .as((k, v) -> new java.util.AbstractMap.SimpleEntry<>(k, v));
        return one.list().ofMaxSize(5);
    }

    // ---- the hosted history: POST /api/v3/predictions with any fields ----

    static final List<String> historyFields = List.of("page", "page_size", "model", "status", "created_after", "created_before",
            "limit", "");

    // Each valid query reads the fuzz key's whole history from moto (thousands of predictions by now): few tries.
    @Property(tries = 150)
    void historyQueries(@ForAll("historyQuery") List<Map.Entry<String, JsonNode>> fields) {
        ObjectNode body = Json.object();
        fields.forEach(f -> body.set(f.getKey(), f.getValue()));
        check(event("POST", "/api/v3/predictions", "", Map.of("authorization", "Bearer " + KEY, "content-type", "application/json"),
                Json.write(body), false));
    }

    @Provide
    Arbitrary<List<Map.Entry<String, JsonNode>>> historyQuery() {
        Arbitrary<JsonNode> value = Arbitraries.oneOf(anyJsonValue(), Arbitraries.of("1", "100", "101", "0", "10000", "1e20",
                "18446744073709551716", "\"2026-12-01\"", "\"2026-12-01T10:00:00Z\"", "\"2026-13-01\"", "\"completed\"",
                "\"wavespeed-ai/mmaudio-v2\"", "\"foley/mmaudio-v2-long\"").map(Json::parse));
        return Combinators.combine(Arbitraries.oneOf(Arbitraries.of(historyFields), Arbitraries.strings().ofMaxLength(10)), value)
                .as((k, v) -> (Map.Entry<String, JsonNode>) new java.util.AbstractMap.SimpleEntry<>(k, v)).list().ofMaxSize(6);
    }

    // ---- raw bodies: random bytes, truncated JSON, odd encodings ----

    @Property(tries = 2000)
    void rawBodies(@ForAll("rawBody") String body, @ForAll boolean base64, @ForAll("contentType") String type) {
        Map<String, String> h = new HashMap<>();
        h.put("authorization", "Bearer " + KEY);
        if (type != null) {
            h.put("content-type", type);
        }
        String sent = base64 ? Base64.getEncoder().encodeToString(body.getBytes(StandardCharsets.UTF_8)) : body;
        check(event("POST", FoleyApi.SUBMIT_VIDEO, "", h, sent, base64));
    }

    @Provide
    Arbitrary<String> rawBody() {
        String valid = "{\"video\":\"https://cdn.example.com/v.mp4\",\"prompt\":\"wind\",\"duration\":5}";
        return Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(200),
                Arbitraries.integers().between(0, valid.length()).map(n -> valid.substring(0, n)),
                Arbitraries.strings().withChars("{}[]\",:0123456789.eE-+truefalsnl \\u").ofMaxLength(80),
                Arbitraries.of("", "null", "[]", "\"x\"", "{\"a\":{\"b\":{\"c\":[[[[[]]]]]}}}", "[".repeat(100), valid + valid,
                        "{\"prompt\":\"" + "é".repeat(40000) + "\"}"));
    }

    @Provide
    Arbitrary<String> contentType() {
        return Arbitraries.oneOf(Arbitraries.of("application/json", "application/json; charset=utf-8", "text/plain",
                "application/x-www-form-urlencoded", "APPLICATION/JSON", "application/vnd.api+json", ";;", "")
                .map(s -> s), Arbitraries.strings().ofMaxLength(20), Arbitraries.just(null));
    }

    // ---- paths, methods, query strings and headers ----

    @Property(tries = 4000)
    void pathsMethodsQueriesHeaders(@ForAll("method") String method, @ForAll("path") String path,
            @ForAll("query") String query, @ForAll("auth") String auth, @ForAll("idem") String idem) {
        Map<String, String> h = new HashMap<>();
        if (auth != null) {
            h.put("authorization", auth);
        }
        if (idem != null) {
            h.put("idempotency-key", idem);
        }
        h.put("content-type", "application/json");
        h.put("x-client-name", "fuzz");
        String body = method.equals("POST") ? "{\"video\":\"https://cdn.example.com/v.mp4\",\"prompt\":\"steps\"}" : null;
        check(event(method, path, query, h, body, false));
    }

    @Provide
    Arbitrary<String> method() {
        return Arbitraries.oneOf(Arbitraries.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"),
                Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(8));
    }

    @Provide
    Arbitrary<String> path() {
        Arbitrary<String> known = Arbitraries.of("/health", "/api/v3/wavespeed-ai/mmaudio-v2",
                "/api/v3/wavespeed-ai/mmaudio-v2/text-to-audio", "/api/v3/predictions", "/api/v3/predictions/",
                "/api/v3/predictions/0123456789abcdef0123456789abcdef", "/api/v3/predictions/0123456789abcdef0123456789abcdef/result",
                "/api/v3/predictions/0123456789abcdef0123456789abcdef/cancel", "/", "", "//", "/api/v3/predictions/%2e%2e/result",
                "/api/v3/media/uploads", "/api/v3/media/upload/binary", "/api/v3/usage", "/api/v3/balance", "/api/v3/webhook/secret",
                "/internal/callbacks/wavespeed/0123456789abcdef0123456789abcdef", "/internal/callbacks/fal/x",
                "/playground/app.js", "/playground/config.json", "/playground/nope", "/openapi.json", "/openapi.yaml");
        Arbitrary<String> segment = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(40), Arbitraries.of("..", ".", "%00", "{id}", "result"));
        return Arbitraries.oneOf(known, Combinators.combine(known, segment).as((k, s) -> k + "/" + s),
                segment.list().ofMaxSize(6).map(l -> "/" + String.join("/", l)));
    }

    @Provide
    Arbitrary<String> query() {
        return Arbitraries.oneOf(Arbitraries.of("", "limit=1", "limit=0", "limit=101", "limit=-5", "limit=1e3", "cursor=",
                        "cursor=%ZZ", "webhook=https%3A%2F%2Fhooks.example.com%2Fx", "webhook=ftp://x", "webhook=", "&&&", "=", "a=%",
                        "limit=2&limit=3", "webhook=http://169.254.169.254/"),
                Arbitraries.strings().ofMaxLength(60));
    }

    @Provide
    Arbitrary<String> auth() {
        return Arbitraries.oneOf(Arbitraries.of("Bearer " + KEY, "bearer " + KEY, "Bearer  " + KEY + " ", "Bearer", "Bearer ",
                "Basic abc", "Bearer fk_unknown", "Bearer " + "x".repeat(1000)), Arbitraries.strings().ofMaxLength(40),
                Arbitraries.just(null));
    }

    @Provide
    Arbitrary<String> idem() {
        return Arbitraries.oneOf(Arbitraries.just(null), Arbitraries.strings().ofMaxLength(300), Arbitraries.of("k1", "k2", " "));
    }

}
