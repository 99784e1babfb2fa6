package dev.foley.local.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.api.FoleyApi;
import dev.foley.json.Json;
import dev.foley.key.ApiKey;
import dev.foley.key.KeyLimits;
import dev.foley.key.KeyMaterial;
import dev.foley.local.ApiEvents;
import dev.foley.local.Lambdas;
import dev.foley.prediction.Phase;
import dev.foley.provider.ProviderHttp;
import dev.foley.provider.emulator.ProviderEmulator.Op;
import dev.foley.provider.emulator.ProviderEmulator.Script;
import dev.foley.provider.emulator.WaveSpeedEmulator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 13, item 11: limits per key. A request over its key's rate and a submit over its key's
 * predictions in flight get a 429 in the envelope with {@code Retry-After}; a refused request
 * stores nothing and costs nothing; one key at its limit leaves another's share alone.
 */
@ExtendWith(dev.foley.local.Moto.class)
class KeyLimitsTest {

    static final String BODY = "{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"rain\",\"duration\":4}";

    static APIGatewayV2HTTPResponse call(RunningStack st, String key, String method, String path, String body, Map<String, String> extra) {
        Map<String, String> h = new HashMap<>(Map.of("authorization", "Bearer " + key, "content-type", "application/json"));
        h.putAll(extra);
        return Lambdas.api(st.api, ApiEvents.of(method, path, "", h, body, false));
    }

    static String newKey(RunningStack st, String name, KeyLimits limits, Long balance) {
        String plain = KeyMaterial.newKey();
        st.foley.keys().create(name, plain, ApiKey.WAVESPEED, balance, limits);
        return plain;
    }

    static long balance(RunningStack st, String plain) {
        return st.foley.keys().findByHash(KeyMaterial.sha256Hex(plain)).orElseThrow().balanceMicroUsd();
    }

    @Test
    void requestsOverAKeysRateGet429WithRetryAfterAndStoreNothing() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key");
                var st = RunningStack.start("rate", ClaimBeforeYouActTest.wavespeed(emu), ProviderHttp.Policies.DEFAULT, false)) {
            emu.script(Script.neverFinishes());
            String key = newKey(st, "rated", KeyLimits.withRate(KeyLimits.DEFAULTS, "5/s"), 1_000_000L);
            String other = newKey(st, "unrated", KeyLimits.DEFAULTS, null);
            Map<Long, Integer> okPerSecond = new HashMap<>();
            List<APIGatewayV2HTTPResponse> refused = new ArrayList<>();
            for (int i = 0; i < 40 && refused.size() < 3; i++) {
                long sent = System.currentTimeMillis() / 1000;
                var r = call(st, key, "GET", "/api/v3/predictions", null, Map.of());
                long back = System.currentTimeMillis() / 1000;
                if (r.getStatusCode() == 429) {
                    refused.add(r);
                } else {
                    assertEquals(200, r.getStatusCode(), r.getBody());
                    if (sent == back) {
                        okPerSecond.merge(sent, 1, Integer::sum);
                    }
                }
            }
            assertFalse(refused.isEmpty(), "past 5 requests in a second, the key is refused");
            okPerSecond.forEach((second, n) -> assertTrue(n <= 5, "at most 5 answered in one second: " + okPerSecond));
            var r = refused.get(0);
            JsonNode env = Json.parse(r.getBody());
            assertEquals(429, env.get("code").asInt());
            assertTrue(env.get("message").asText().contains("this key allows 5 requests per second"), r.getBody());
            String retry = r.getHeaders().get("retry-after");
            assertTrue(retry != null && Integer.parseInt(retry) >= 1, "Retry-After: " + r.getHeaders());
            // Another key is not held to it.
            for (int i = 0; i < 10; i++) {
                assertEquals(200, call(st, other, "GET", "/api/v3/predictions", null, Map.of()).getStatusCode());
            }
            // A submit refused for the rate stores nothing and costs nothing.
            long before = balance(st, key);
            APIGatewayV2HTTPResponse submit;
            int tries = 0;
            do {
                submit = call(st, key, "POST", FoleyApi.SUBMIT_VIDEO, BODY, Map.of());
                tries++;
            } while (submit.getStatusCode() == 200 && tries < 20);
            assertEquals(429, submit.getStatusCode(), submit.getBody());
            int accepted = tries - 1;
            assertEquals(before - accepted * 4_000L, balance(st, key), "only the accepted submits were reserved");
            String keyId = st.foley.keys().findByHash(KeyMaterial.sha256Hex(key)).orElseThrow().keyId();
            assertEquals(accepted, st.foley.predictions().list(keyId, 100, null).items().size(), "nothing stored for the refused one");
            assertEquals(accepted, emu.requests(Op.SUBMIT).size());
        }
    }

    @Test
    void aKeyAtItsPredictionsInFlightGets429AndOthersKeepTheirShare() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key")) {
            emu.script(Script.neverFinishes());
            Map<String, String> env = new HashMap<>(ClaimBeforeYouActTest.wavespeed(emu));
            env.put("FOLEY_PROVIDER_MAX_IN_FLIGHT", "4");
            try (var st = RunningStack.start("inflight", env, ProviderHttp.Policies.DEFAULT, false).withPollers(1)) {
                String a = newKey(st, "a", KeyLimits.withMaxInFlight(KeyLimits.DEFAULTS, "2"), 1_000_000L);
                String b = newKey(st, "b", KeyLimits.withMaxInFlight(KeyLimits.DEFAULTS, "2"), null);
                List<String> aIds = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    var r = call(st, a, "POST", FoleyApi.SUBMIT_VIDEO, BODY, Map.of("idempotency-key", "a-" + i));
                    assertEquals(200, r.getStatusCode(), r.getBody());
                    aIds.add(Json.parse(r.getBody()).at("/data/id").asText());
                }
                long before = balance(st, a);
                var refused = call(st, a, "POST", FoleyApi.SUBMIT_VIDEO, BODY, Map.of());
                assertEquals(429, refused.getStatusCode(), refused.getBody());
                assertTrue(Json.parse(refused.getBody()).get("message").asText().contains("this key allows 2 at once"), refused.getBody());
                assertNotNull(refused.getHeaders().get("retry-after"));
                assertEquals(before, balance(st, a), "a refused submit costs nothing");
                String aId = st.foley.keys().findByHash(KeyMaterial.sha256Hex(a)).orElseThrow().keyId();
                assertEquals(2, st.foley.predictions().list(aId, 100, null).items().size(), "and stores nothing");
                // A repeat of an admitted request is its prediction, limit or not.
                var replay = call(st, a, "POST", FoleyApi.SUBMIT_VIDEO, BODY, Map.of("idempotency-key", "a-1"));
                assertEquals(200, replay.getStatusCode(), replay.getBody());
                assertEquals(aIds.get(1), Json.parse(replay.getBody()).at("/data/id").asText());
                // Key b still gets its own two at the provider: a cannot take the provider's four.
                for (int i = 0; i < 2; i++) {
                    var r = call(st, b, "POST", FoleyApi.SUBMIT_VIDEO, BODY, Map.of());
                    assertEquals(200, r.getStatusCode(), r.getBody());
                    st.await(Json.parse(r.getBody()).at("/data/id").asText(), p -> p.phase() == Phase.SUBMITTED, Duration.ofSeconds(30));
                }
                // A finished prediction frees its place: a can submit again.
                assertEquals(200, call(st, a, "POST", "/api/v3/predictions/" + aIds.get(0) + "/cancel", null, Map.of()).getStatusCode());
                st.await(aIds.get(0), p -> p.phase() == Phase.CANCELLED, Duration.ofSeconds(30));
                assertEquals(1, st.foley.predictions().slots().keyInFlight(aId));
                assertEquals(200, call(st, a, "POST", FoleyApi.SUBMIT_VIDEO, BODY, Map.of()).getStatusCode());
                assertEquals(2, st.foley.predictions().slots().keyInFlight(aId));
            }
        }
    }

    /**
     * Twenty parallel submits on a prepaid key whose balance covers three and whose limit is two in
     * flight: two are admitted and the rest are refused for the limit (429), never for a balance that
     * only looked short because refused requests held reservations for a moment (before: 402s).
     */
    @Test
    void aRequestRefusedForItsLimitNeverHoldsBalanceAnotherNeeds() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key")) {
            emu.script(Script.neverFinishes()).latency(dev.foley.provider.emulator.ProviderEmulator.Op.SUBMIT,
                    () -> Duration.ofMillis(200));
            try (var st = RunningStack.start("race402", ClaimBeforeYouActTest.wavespeed(emu), ProviderHttp.Policies.DEFAULT, false)) {
                long cost = 8 * 1000; // 8 s at $0.001
                String key = newKey(st, "race", KeyLimits.withMaxInFlight(KeyLimits.DEFAULTS, "2"), 3 * cost);
                String body = "{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"rain\",\"duration\":8}";
                List<String> codes = ClaimBeforeYouActTest.parallel(20, i -> Integer.toString(
                        call(st, key, "POST", FoleyApi.SUBMIT_VIDEO, body, Map.of()).getStatusCode()));
                Map<String, Long> byCode = codes.stream().collect(java.util.stream.Collectors.groupingBy(c -> c,
                        java.util.stream.Collectors.counting()));
                assertEquals(Map.of("200", 2L, "429", 18L), byCode, "admitted up to the limit, the rest refused for it: " + byCode);
                assertEquals(cost, balance(st, key), "two reservations held, nothing else taken");
            }
        }
    }
}
