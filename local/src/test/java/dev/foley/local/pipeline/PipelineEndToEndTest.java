package dev.foley.local.pipeline;

import dev.foley.local.Lambdas;
import static org.junit.jupiter.api.Assertions.*;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.Foley;
import dev.foley.api.FoleyApi;
import dev.foley.key.ApiKey;
import dev.foley.config.Settings;
import dev.foley.functions.api.ApiHandler;
import dev.foley.json.Json;
import dev.foley.local.ApiEvents;
import dev.foley.local.LocalFoley;
import dev.foley.local.Moto;
import dev.foley.local.TestClock;
import dev.foley.pipeline.Poller;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.provider.WebhookSignatures;
import dev.foley.provider.emulator.ProviderEmulator;
import dev.foley.provider.emulator.ProviderEmulator.Fault;
import dev.foley.provider.emulator.ProviderEmulator.Op;
import dev.foley.provider.emulator.ProviderEmulator.Script;
import dev.foley.provider.emulator.WaveSpeedEmulator;
import dev.foley.store.ApiKeyStore;
import dev.foley.prediction.Notifications;
import dev.foley.prediction.WebhookState;
import dev.foley.store.PredictionStore;
import dev.foley.time.Deadline;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The pipeline end to end on moto's DynamoDB and S3, a WaveSpeed emulator and a webhook receiver:
 * submit, poll, push callbacks, completion, charges, webhooks, deadlines, and re-driving after a
 * crash between any two steps.
 */
@ExtendWith(Moto.class)
class PipelineEndToEndTest {

    static WaveSpeedEmulator emu;
    static WebhookReceiver receiver;
    static TestClock clock = new TestClock();
    /** Where completion is handed (a test sets it to nothing: a lost async invoke). */
    static final java.util.concurrent.atomic.AtomicReference<dev.foley.pipeline.Pipeline.CompletionTrigger> completion =
            new java.util.concurrent.atomic.AtomicReference<>(id -> PipelineEndToEndTest.foley.pipeline().complete(id));
    static Settings settings;
    static Foley foley;
    static ApiHandler api;
    static Poller poller;
    static ApiKeyStore keys;
    String key;
    ApiKey keyRecord;

    @BeforeAll
    static void wire() throws Exception {
        emu = new WaveSpeedEmulator("ws-key");
        receiver = new WebhookReceiver();
        Map<String, String> env = new HashMap<>(Moto.wavespeed(emu));
        env.put("FOLEY_PUBLIC_BASE_URL", "http://api.test");
        env.put("FOLEY_CALLBACK_BASE_URL", "https://foley.test");
        env.put("FOLEY_OUTPUTS_BUCKET", "outputs-" + Moto.tableName("b").toLowerCase());
        settings = Moto.settings(Moto.tableName("pipe"), env);
        var dynamo = Moto.freshTable(settings);
        // Completion at once, here, unless a test loses it (the hand-off is the test's to switch).
        foley = Moto.foley(settings, Moto.providers(env), clock,
                java.util.Optional.of(pipeline -> id -> completion.get().trigger(id)), java.util.Optional.empty(), java.util.Optional.empty());
        api = new ApiHandler(foley.api());
        poller = foley.poller(8, Duration.ofSeconds(60));
        keys = foley.keys();
    }

    @AfterAll
    static void stop() {
        emu.close();
        receiver.close();
    }

    @BeforeEach
    void freshKey() {
        var k = keys.create("e2e", dev.foley.key.KeyMaterial.newKey(), ApiKey.WAVESPEED, null);
        key = k.plainKey();
        keyRecord = k.key();
        emu.script(Script.doneAfter(1));
    }

    @AfterEach
    void restoreCompletion() {
        completion.set(id -> foley.pipeline().complete(id));
    }

    // ---- helpers ----

    static APIGatewayV2HTTPResponse call(APIGatewayV2HTTPEvent e) {
        return Lambdas.api(api, e);
    }

    JsonNode submit(String body, String webhook) {
        var e = ApiEvents.of("POST", FoleyApi.SUBMIT_VIDEO, webhook == null ? "" : "webhook=" + webhook,
                Map.of("authorization", "Bearer " + key, "content-type", "application/json"), body, false);
        var r = call(e);
        assertEquals(200, r.getStatusCode(), r.getBody());
        return Json.parse(r.getBody()).get("data");
    }

    JsonNode get(String path) {
        var r = call(ApiEvents.authed(key, "GET", path, null));
        assertEquals(200, r.getStatusCode(), r.getBody());
        return Json.parse(r.getBody()).get("data");
    }

    static Prediction prediction(String id) {
        return foley.predictions().get(id).orElseThrow();
    }

    /** Runs the poller, moving the clock to each next due time, until the prediction is finished and quiet. */
    static Prediction drive(String id) {
        for (int i = 0; i < 40; i++) {
            Prediction d = prediction(id);
            if (d.phase().terminal() && d.dueAt() == null) {
                return d;
            }
            if (d.dueAt() != null) {
                clock.advanceTo(d.dueAt());
            }
            poller.tickAndWait();
        }
        fail("prediction " + id + " did not settle: " + prediction(id));
        return null;
    }

    /** Runs the poller until the prediction reaches {@code phase}. */
    static Prediction driveTo(String id, Phase phase) {
        for (int i = 0; i < 20; i++) {
            Prediction d = prediction(id);
            if (d.phase() == phase) {
                return d;
            }
            if (d.dueAt() != null) {
                clock.advanceTo(d.dueAt());
            }
            poller.tickAndWait();
        }
        fail("prediction " + id + " never reached " + phase + ": " + prediction(id));
        return null;
    }

    static final String BODY = "{\"video\":\"https://cdn.example.com/clip.mp4\",\"prompt\":\"thunder\",\"duration\":6}";

    List<WebhookReceiver.Received> webhooksFor(String id) {
        return receiver.received().stream().filter(r -> new String(r.body()).contains(id)).toList();
    }

    long usageSeconds() {
        return get("/api/v3/usage").at("/total/seconds").asLong();
    }

    // ---- the happy path ----

    @Test
    void completesWithOutputsInOurBucketASignedWebhookAndOneCharge() throws Exception {
        JsonNode s = submit(BODY, receiver.url("/hook"));
        String id = s.get("id").asText();
        assertEquals("processing", s.get("status").asText());
        Prediction done = drive(id);
        assertEquals(Phase.COMPLETED, done.phase(), done::toString);
        assertEquals(6000, done.chargeMicroUsd());

        JsonNode result = get("/api/v3/predictions/" + id + "/result");
        assertEquals("completed", result.get("status").asText());
        assertEquals(1234, result.at("/timings/inference").asLong());
        String link = result.get("outputs").get(0).asText();
        assertTrue(link.startsWith(Moto.endpoint().toString()), "a presigned link to our bucket: " + link);
        byte[] got = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(link)).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body();
        assertArrayEquals(ProviderEmulator.fileBytes(done.job().id() + ".mp4"), got, "the copy is byte for byte");

        List<WebhookReceiver.Received> hooks = webhooksFor(id);
        assertEquals(1, hooks.size());
        var hook = hooks.get(0);
        String secret = get("/api/v3/webhook/secret").get("secret").asText();
        WebhookSignatures.wavespeedVerify(secret, hook.headers(), hook.body(), clock); // the hosted API's scheme
        JsonNode body = Json.parse(new String(hook.body()));
        assertEquals("completed", body.get("status").asText());
        assertEquals("thunder", body.at("/input/prompt").asText());
        assertEquals(1, body.get("outputs").size());
        assertEquals("http://api.test/api/v3/predictions/" + id + "/result", body.at("/urls/get").asText());

        JsonNode usage = get("/api/v3/usage");
        assertEquals(1, usage.at("/total/predictions").asLong());
        assertEquals(6, usage.at("/total/seconds").asLong());
        assertEquals(0.006, usage.at("/total/cost_usd").asDouble(), 1e-9);
    }

    @Test
    void aStandardSchemeKeysWebhookVerifiesWithAStandardWebhooksLibrary() throws Exception {
        var k = keys.create("std", dev.foley.key.KeyMaterial.newKey(), ApiKey.STANDARD, null);
        key = k.plainKey();
        String id = submit(BODY, receiver.url("/std")).get("id").asText();
        drive(id);
        var hook = webhooksFor(id).get(0);
        Map<String, List<String>> headers = new HashMap<>();
        hook.headers().forEach((h, v) -> headers.put(h, List.of(v)));
        new com.standardwebhooks.Webhook(k.key().webhookSecret()).verify(new String(hook.body()), headers);
    }

    // ---- failures, cancels, deadlines: never charged ----

    @Test
    void aFailedJobFailsNotifiesAndCostsNothing() {
        emu.script(Script.failsWith("could not decode the video"));
        String id = submit(BODY, receiver.url("/f")).get("id").asText();
        Prediction p = drive(id);
        assertEquals(Phase.FAILED, p.phase());
        assertEquals("the inference provider's job failed: could not decode the video",
                get("/api/v3/predictions/" + id + "/result").get("error").asText());
        assertEquals("failed", Json.parse(new String(webhooksFor(id).get(0).body())).get("status").asText());
        assertEquals(0, usageSeconds());
    }

    @Test
    void aCancelledPredictionNotifiesAndCostsNothing() {
        emu.script(Script.neverFinishes());
        String id = submit(BODY, receiver.url("/c")).get("id").asText();
        var r = call(ApiEvents.authed(key, "POST", "/api/v3/predictions/" + id + "/cancel", null));
        assertEquals(200, r.getStatusCode());
        drive(id);
        assertEquals("cancelled", Json.parse(new String(webhooksFor(id).get(0).body())).get("status").asText());
        assertEquals(0, usageSeconds());
    }

    @Test
    void aPredictionPastItsDeadlineFailsClearly() {
        emu.script(Script.neverFinishes());
        String id = submit(BODY, null).get("id").asText();
        poller.tickAndWait();
        clock.advance(Duration.ofMinutes(16));
        Prediction p = drive(id);
        assertEquals(Phase.FAILED, p.phase());
        assertTrue(p.error().startsWith("timed out: not finished within 15 minutes"), p.error());
        assertEquals(0, usageSeconds());
    }

    // ---- push callbacks ----

    @Test
    void aSignedProviderCallbackCompletesWithoutWaitingForAPoll() {
        String id = submit(BODY, null).get("id").asText();
        Prediction p = prediction(id);
        emu.job(p.job().id()).checks.set(99);
        var hook = emu.webhook(p.job().id(), "completed", WaveSpeedEmulator.SECRET, Instant.now());
        String path = "/internal/callbacks/wavespeed/" + id;
        var event = ApiEvents.of("POST", path, "", hook.getKey(), new String(hook.getValue()), false);
        assertEquals(200, call(event).getStatusCode());
        assertEquals(Phase.COMPLETED, prediction(id).phase(), "completed by the push alone");
        // A duplicate push is harmless; a forged one is refused.
        assertEquals(200, call(ApiEvents.of("POST", path, "", hook.getKey(), new String(hook.getValue()), false)).getStatusCode());
        assertEquals(6, usageSeconds(), "charged once");
        var forged = emu.webhook(p.job().id(), "completed", "whsec_notTheSecret", Instant.now());
        assertEquals(401, call(ApiEvents.of("POST", path, "", forged.getKey(), new String(forged.getValue()), false)).getStatusCode());
        assertEquals(404, call(ApiEvents.of("POST", "/internal/callbacks/nope/" + id, "", hook.getKey(), "{}", false)).getStatusCode());
    }

    // ---- webhook retries ----

    @Test
    void aWebhookAnswered500IsRetriedWithTheSameIdAndEveryAttemptRecorded() {
        receiver.answer(500);
        String id = submit(BODY, receiver.url("/retry")).get("id").asText();
        Prediction p = drive(id);
        assertEquals(WebhookState.DELIVERED, p.webhookState());
        List<WebhookReceiver.Received> hooks = webhooksFor(id);
        assertEquals(2, hooks.size());
        assertEquals(hooks.get(0).headers().get("webhook-id"), hooks.get(1).headers().get("webhook-id"));
        var attempts = Moto.dynamo(settings).query(q -> q.tableName(settings.table())
                .keyConditionExpression("PK = :p AND begins_with(SK, :w)")
                .expressionAttributeValues(Map.of(":p", AttributeValue.fromS("P#" + id), ":w", AttributeValue.fromS("W#")))).items();
        assertEquals(2, attempts.size());
        assertEquals("500", attempts.get(0).get("status").n());
        assertEquals("200", attempts.get(1).get("status").n());
        assertNotNull(attempts.get(0).get("latency_ms"));
    }

    @Test
    void aWebhookThatNeverSucceedsIsGivenUpOnAfterTheSchedule() {
        receiver.answer(500, 500, 500, 500, 500, 500, 500, 500);
        String id = submit(BODY, receiver.url("/down")).get("id").asText();
        Prediction p = drive(id);
        assertEquals(WebhookState.GAVE_UP, p.webhookState());
        assertEquals(8, webhooksFor(id).size(), "one attempt and seven retries");
        assertEquals(Phase.COMPLETED, p.phase(), "the prediction itself stands");
    }

    // ---- crashes between steps, re-driven ----

    @Test
    void aCrashRightAfterStoringIsPickedUpByThePoller() throws Exception {
        var req = new dev.foley.prediction.RequestValidator(new dev.foley.net.UrlPolicy(false)).validate(
                dev.foley.prediction.Kind.VIDEO, Json.parse(BODY));
        Prediction p = Prediction.accepted(dev.foley.prediction.IdGenerator.random().next(), keyRecord.keyId(), req,
                receiver.url("/crash1"), clock.instant());
        foley.predictions().create(p, null); // stored, never submitted: the API died here
        Prediction done = drive(p.id());
        assertEquals(Phase.COMPLETED, done.phase());
        assertEquals(1, webhooksFor(p.id()).size());
    }

    @Test
    void aLostCompletionIsHandedOverAgainAndChargedOnce() {
        completion.set(id -> { }); // the async invoke is lost
        String id = submit(BODY, receiver.url("/crash2")).get("id").asText();
        driveTo(id, Phase.UPSTREAM_DONE);
        poller.tickAndWait();
        assertEquals(Phase.UPSTREAM_DONE, prediction(id).phase(), "nothing happens before the grace period");
        completion.set(x -> foley.pipeline().complete(x));
        Prediction done = drive(id);
        assertEquals(Phase.COMPLETED, done.phase());
        foley.pipeline().complete(id); // a late duplicate invoke
        assertEquals(6, usageSeconds());
        assertEquals(1, webhooksFor(id).size());
    }

    @Test
    void aCrashAfterTheCopyDoesNotCopyOrChargeTwice() throws Exception {
        completion.set(id -> { });
        String id = submit(BODY, null).get("id").asText();
        Prediction upstreamDone = driveTo(id, Phase.UPSTREAM_DONE);
        foley.outputs().copy(upstreamDone, Deadline.NONE); // copied, then the completion died
        foley.pipeline().complete(id);
        foley.pipeline().complete(id);
        Prediction p = prediction(id);
        assertEquals(Phase.COMPLETED, p.phase());
        var objects = LocalFoley.sdkS3(settings).listObjectsV2(r -> r.bucket(settings.outputsBucket()).prefix("outputs/" + id)).contents();
        assertEquals(1, objects.size());
        assertEquals(6, usageSeconds());
    }

    @Test
    void aCrashAfterTheChargeStillDeliversTheWebhook() {
        completion.set(id -> { });
        String id = submit(BODY, receiver.url("/crash3")).get("id").asText();
        Prediction upstreamDone = driveTo(id, Phase.UPSTREAM_DONE);
        // The state right after completion's transaction, before its webhook went out: completed,
        // charged, webhook pending and due.
        Prediction claimed = foley.predictions().moves().claim(upstreamDone, PredictionStore.Step.COPY, "crashing",
                clock.instant().plusSeconds(300), false).orElseThrow();
        foley.predictions().moves().complete(claimed, List.of(), 6000, new Notifications(WebhookState.PENDING, 0, clock.instant(), false),
                clock.instant()).orElseThrow();
        assertEquals(0, webhooksFor(id).size());
        Prediction p = drive(id);
        assertEquals(WebhookState.DELIVERED, p.webhookState());
        assertEquals(1, webhooksFor(id).size());
    }

    @Test
    void aCallbackForAnotherJobIsAnOrphanAndChangesNothing() {
        emu.script(Script.neverFinishes());
        String id = submit(BODY, null).get("id").asText();
        submit(BODY, null); // another job, whose (valid, signed) callback arrives on the wrong prediction
        List<String> jobs = emu.jobs();
        String other = jobs.get(jobs.size() - 1);
        assertNotEquals(prediction(id).job().id(), other);
        var hook = emu.webhook(other, "completed", WaveSpeedEmulator.SECRET, Instant.now());
        var r = call(ApiEvents.of("POST", "/internal/callbacks/wavespeed/" + id, "", hook.getKey(), new String(hook.getValue()), false));
        assertEquals(200, r.getStatusCode());
        assertTrue(r.getBody().contains("ignored"), r.getBody());
        assertEquals(Phase.SUBMITTED, prediction(id).phase(), "the tracked job decides, not an orphan's callback");
    }

    @Test
    void aProviderDownForMinutesThenBackStillCompletes() {
        for (int i = 0; i < 9; i++) {
            emu.failNext(Op.SUBMIT, Fault.status(503, "down"));
        }
        String id = submit(BODY, null).get("id").asText();
        assertEquals(Phase.ACCEPTED, prediction(id).phase());
        clock.advance(Duration.ofMinutes(3));
        Prediction p = drive(id);
        assertEquals(Phase.COMPLETED, p.phase());
        assertTrue(p.attempts().stream().filter(a -> a.contains("503")).count() >= 9, p.attempts().toString());
    }

    @Test
    void anOutputThat404sOnceIsFetchedAgainAndCompletes() {
        emu.failFiles(1);
        int before = emu.fileRequests();
        String id = submit(BODY, null).get("id").asText();
        Prediction p = drive(id);
        assertEquals(Phase.COMPLETED, p.phase(), p::toString);
        assertEquals(2, emu.fileRequests() - before, "one 404, then the copy");
        assertTrue(p.attempts().stream().anyMatch(a -> a.contains("HTTP 404")), p.attempts().toString());
        assertEquals(6, usageSeconds(), "paid work kept, charged once");
    }

    @Test
    void anOutputThatCanNeverBeFetchedFailsAfterTheCopyWindowWithoutACharge() {
        emu.failFiles(1000);
        String id = submit(BODY, null).get("id").asText();
        Prediction p = drive(id);
        emu.failFiles(0);
        assertEquals(Phase.FAILED, p.phase());
        assertTrue(p.error().startsWith("the provider's output answered HTTP 404"), p.error());
        assertTrue(p.copyAttempts() >= 5, "retried with backoff first: " + p.copyAttempts());
        assertEquals(0, usageSeconds());
    }

    // ---- prepaid balances ----

    @Test
    void aPrepaidKeyReservesAtSubmitRefundsOnFailureAndIsRefusedWhenShort() {
        var k = keys.create("prepaid", dev.foley.key.KeyMaterial.newKey(), ApiKey.WAVESPEED, 5000L);
        key = k.plainKey();
        var r = call(ApiEvents.authed(key, "POST", FoleyApi.SUBMIT_VIDEO,
                "{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"p\",\"duration\":8}"));
        assertEquals(402, r.getStatusCode(), r.getBody());
        assertTrue(Json.parse(r.getBody()).get("message").asText().contains("costs $0.008"), r.getBody());

        emu.script(Script.failsWith("nope"));
        String failed = submit("{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"p\",\"duration\":4}", null).get("id").asText();
        assertEquals(0.001, get("/api/v3/balance").get("balance_usd").asDouble(), 1e-9, "reserved at submit");
        drive(failed);
        assertEquals(0.005, get("/api/v3/balance").get("balance_usd").asDouble(), 1e-9, "refunded on failure");

        emu.script(Script.doneAfter(1));
        String ok = submit("{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"p\",\"duration\":4}", null).get("id").asText();
        drive(ok);
        assertEquals(0.001, get("/api/v3/balance").get("balance_usd").asDouble(), 1e-9, "kept on completion");
        assertTrue(get("/api/v3/balance").get("prepaid").asBoolean());
        assertEquals(4, usageSeconds());
    }

    @Test
    void usageQueryIsValidated() {
        var r = call(ApiEvents.of("GET", "/api/v3/usage", "from=2026-13-01", Map.of("authorization", "Bearer " + key), null, false));
        assertEquals(400, r.getStatusCode());
        assertTrue(r.getBody().contains("from: must be a date"), r.getBody());
        r = call(ApiEvents.of("GET", "/api/v3/usage", "from=2026-05-02&to=2026-05-01", Map.of("authorization", "Bearer " + key), null, false));
        assertEquals(400, r.getStatusCode());
    }

    @Test
    void strictModeRefusesPrivateWebhookUrlsAtSubmit() throws Exception {
        var strictSettings = Moto.settings(settings.table(), Map.of("FOLEY_STRICT_URLS", "true"));
        var strictApi = new ApiHandler(Moto.foley(strictSettings, Moto.dynamo(settings),
                Moto.providers(Moto.wavespeed(emu)), clock).api());
        var e = ApiEvents.of("POST", FoleyApi.SUBMIT_VIDEO, "webhook=http%3A%2F%2F10.0.0.8%2Fhook",
                Map.of("authorization", "Bearer " + key, "content-type", "application/json"), BODY, false);
        var r = Lambdas.api(strictApi, e);
        assertEquals(400, r.getStatusCode());
        assertTrue(r.getBody().contains("webhook: must point to a public address"), r.getBody());
    }
}
