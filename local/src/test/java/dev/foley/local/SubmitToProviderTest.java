package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.api.FoleyApi;
import dev.foley.config.Settings;
import dev.foley.functions.api.ApiHandler;
import dev.foley.json.Json;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.provider.emulator.FalEmulator;
import dev.foley.provider.emulator.ProviderEmulator.Fault;
import dev.foley.provider.emulator.ProviderEmulator.Op;
import dev.foley.provider.emulator.WaveSpeedEmulator;
import dev.foley.store.ApiKeyStore;
import dev.foley.store.PredictionStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** Submit through the API calls the provider: processing, still created and due, or failed, with fallback. */
@ExtendWith(Moto.class)
class SubmitToProviderTest {

    static final String KEY = "fk_submit-provider-key-0123456789";
    static WaveSpeedEmulator wavespeed;
    static FalEmulator fal;
    static DynamoDbClient dynamo;
    static Settings settings;
    static ApiHandler handler;
    static PredictionStore store;

    @BeforeAll
    static void wire() throws Exception {
        wavespeed = new WaveSpeedEmulator("ws-key");
        fal = new FalEmulator("fal-key");
        Map<String, String> env = new HashMap<>(Moto.wavespeed(wavespeed));
        env.put("FOLEY_PROVIDER_FALLBACK", "fal");
        env.put("FAL_KEY", "fal-key");
        env.put("FAL_BASE_URL", fal.baseUrl());
        env.put("FAL_JWKS_URL", fal.jwksUrl());
        env.put("FOLEY_CALLBACK_BASE_URL", "https://foley.example.com");
        settings = Moto.settings(Moto.tableName("submit"), env);
        dynamo = Moto.freshTable(settings);
        new ApiKeyStore(dynamo, settings.table(), Clock.systemUTC()).create("t", KEY);
        store = new PredictionStore(dynamo, settings.table(), Clock.systemUTC(), 4, Duration.ofDays(7));
        handler = new ApiHandler(Moto.foley(settings, dynamo, Moto.providers(env)).api());
    }

    @AfterAll
    static void stop() {
        wavespeed.close();
        fal.close();
    }

    @BeforeEach
    void noFaultsLeft() {
        wavespeed.script(dev.foley.provider.emulator.ProviderEmulator.Script.doneAfter(1));
    }

    static JsonNode submit(String body) {
        APIGatewayV2HTTPResponse r = Lambdas.api(handler, ApiEvents.authed(KEY, "POST", FoleyApi.SUBMIT_VIDEO, body));
        assertEquals(200, r.getStatusCode(), r.getBody());
        assertFalse(r.getBody().contains("job"), "provider job ids never reach the client: " + r.getBody());
        return Json.parse(r.getBody()).get("data");
    }

    static Map<String, AttributeValue> item(String id) {
        return dynamo.getItem(b -> b.tableName(settings.table())
                .key(Map.of("PK", AttributeValue.fromS("P#" + id), "SK", AttributeValue.fromS("P")))).item();
    }

    static final String BODY = "{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"glass breaks\",\"seed\":3}";

    @Test
    void acceptedByTheProviderIsProcessingWithTheJobStoredAndAFirstCheckDue() {
        int before = wavespeed.requests(Op.SUBMIT).size();
        JsonNode d = submit(BODY);
        assertEquals("processing", d.get("status").asText());
        Prediction p = store.get(d.get("id").asText()).orElseThrow();
        assertEquals(Phase.SUBMITTED, p.phase());
        assertEquals("wavespeed", p.job().provider());
        assertNotNull(wavespeed.job(p.job().id()), "the stored job id is the provider's");
        var sent = wavespeed.requests(Op.SUBMIT).get(before);
        assertEquals("webhook=https%3A%2F%2Ffoley.example.com%2Finternal%2Fcallbacks%2Fwavespeed%2F" + p.id(), sent.query());
        long due = Long.parseLong(item(p.id()).get("due_at").n());
        assertTrue(due > Instant.now().toEpochMilli(), "first status check is scheduled ahead");
        assertTrue(p.attempts().stream().anyMatch(a -> a.contains("wavespeed: accepted")), p.attempts().toString());
    }

    @Test
    void aRetryableFailureEverywhereLeavesItCreatedAndDueLater() {
        wavespeed.failNext(Op.SUBMIT, Fault.status(503, "a"), Fault.status(503, "b"));
        fal.failNext(Op.SUBMIT, Fault.status(500, "x"), Fault.status(500, "y"));
        JsonNode d = submit(BODY);
        assertEquals("created", d.get("status").asText());
        assertEquals("", d.get("error").asText());
        Prediction p = store.get(d.get("id").asText()).orElseThrow();
        assertEquals(Phase.ACCEPTED, p.phase());
        assertNull(p.job());
        assertTrue(Long.parseLong(item(p.id()).get("due_at").n()) > Instant.now().toEpochMilli(), "due again, later");
        assertTrue(p.attempts().size() >= 4, "every attempt is recorded: " + p.attempts());
        assertEquals(2, p.attempts().stream().filter(a -> a.contains("wavespeed POST")).count(), p.attempts().toString());
    }

    @Test
    void primary503FallsBackToTheNextProviderAndRecordsWhichServed() {
        wavespeed.failNext(Op.SUBMIT, Fault.status(503, "a"), Fault.status(503, "b"));
        int before = fal.requests(Op.SUBMIT).size();
        JsonNode d = submit(BODY);
        assertEquals("processing", d.get("status").asText());
        Prediction p = store.get(d.get("id").asText()).orElseThrow();
        assertEquals("fal", p.job().provider());
        assertEquals("fal", item(p.id()).get("provider").s());
        assertEquals(3, fal.requests(Op.SUBMIT).get(before).json().get("seed").asInt(), "our seed reaches fal");
        assertTrue(p.attempts().stream().anyMatch(a -> a.contains("wavespeed: retryable")), p.attempts().toString());
    }

    @Test
    void anInputRejectionFailsItWithTheReasonAndNoFallback() {
        wavespeed.failNext(Op.SUBMIT, Fault.status(400, "{\"code\":400,\"message\":\"video: cannot be downloaded\"}"));
        int falBefore = fal.requests(Op.SUBMIT).size();
        JsonNode d = submit(BODY);
        assertEquals("failed", d.get("status").asText());
        assertTrue(d.get("error").asText().contains("video: cannot be downloaded"), d.toString());
        assertFalse(item(d.get("id").asText()).containsKey("due_at"), "a failed prediction is not due");
        assertEquals(falBefore, fal.requests(Op.SUBMIT).size(), "a rejected input is not sent elsewhere");
    }
}
