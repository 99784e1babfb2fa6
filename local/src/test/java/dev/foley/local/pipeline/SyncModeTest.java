package dev.foley.local.pipeline;

import dev.foley.local.Lambdas;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.api.FoleyApi;
import dev.foley.functions.api.ApiHandler;
import dev.foley.json.Json;
import dev.foley.local.ApiEvents;
import dev.foley.local.Moto;
import dev.foley.provider.emulator.ProviderEmulator.Op;
import dev.foley.provider.emulator.ProviderEmulator.Script;
import dev.foley.provider.emulator.WaveSpeedEmulator;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** enable_sync_mode: the answer waits for the result, or says "Sync mode timed out" as the hosted API does. */
@ExtendWith(Moto.class)
class SyncModeTest {

    static final String KEY = "fk_sync-mode-key-0123456789";

    static ApiHandler api(WaveSpeedEmulator emu, int waitSeconds) throws Exception {
        Map<String, String> env = new HashMap<>(Moto.wavespeed(emu));
        env.put("FOLEY_SYNC_WAIT_SECONDS", Integer.toString(waitSeconds));
        env.put("FOLEY_OUTPUTS_BUCKET", "sync-" + Moto.tableName("o").toLowerCase());
        var s = Moto.settings(Moto.tableName("sync"), env);
        var dynamo = Moto.freshTable(s);
        var foley = Moto.foley(s, dynamo, Moto.providers(env));
        foley.keys().create("sync", KEY);
        return new ApiHandler(foley.api());
    }

    static JsonNode submit(ApiHandler api, String body) {
        var r = Lambdas.api(api, ApiEvents.authed(KEY, "POST", FoleyApi.SUBMIT_VIDEO, body));
        assertEquals(200, r.getStatusCode(), r.getBody());
        return Json.parse(r.getBody()).get("data");
    }

    @Test
    void waitsForTheResultWithoutPollingTheTableInALoop() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key")) {
            emu.script(Script.doneAfter(0));
            ApiHandler api = api(emu, 25);
            JsonNode d = submit(api, "{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"rain\",\"duration\":1,\"enable_sync_mode\":true}");
            assertEquals("completed", d.get("status").asText(), d.toString());
            assertEquals(1, d.get("outputs").size());
            assertEquals(1, emu.requests(Op.STATUS).size(), "one status check, at the expected finish time");
        }
    }

    @Test
    void answersProcessingWithTheHostedTimeOutErrorWhenTheWaitRunsOut() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key")) {
            emu.script(Script.neverFinishes());
            ApiHandler api = api(emu, 2);
            JsonNode d = submit(api, "{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"rain\",\"enable_sync_mode\":true}");
            assertEquals("processing", d.get("status").asText());
            assertTrue(d.get("error").asText().contains("Sync mode timed out"), d.toString());
            assertTrue(d.at("/urls/get").asText().endsWith("/result"));
            // That it answers in time whatever the provider does is ClaimBeforeYouActTest's (a call that hangs).
        }
    }

    /**
     * A prediction finished by a push (callback, then completion elsewhere) while the sync request
     * sleeps toward its first status check (18 s after the submit, for 30 s of audio): the answer
     * comes when the prediction is final, before that check was due, and no check is made. Before,
     * the request slept until the check's time, holding the client long after the result was in.
     */
    @Test
    void answersAsSoonAsThePredictionIsFinalNotAtItsNextCheck() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key");
                var st = RunningStack.start("syncpush", ClaimBeforeYouActTest.wavespeed(emu),
                        dev.foley.provider.ProviderHttp.Policies.DEFAULT, true)) {
            emu.script(Script.doneAfter(java.time.Duration.ofSeconds(2)));
            var answer = java.util.concurrent.CompletableFuture.supplyAsync(() -> st.submitVideo(
                    "{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"rain\",\"duration\":30,\"enable_sync_mode\":true}"));
            // The prediction as its submit left it: its first status check is due at the job's expected end.
            dev.foley.prediction.Prediction submitted = null;
            for (int i = 0; i < 200 && submitted == null; i++) {
                Thread.sleep(50);
                submitted = st.foley.predictions().list(st.foley.keys().list().get(0).keyId(), 10, null).items().stream()
                        .filter(p -> p.phase() == dev.foley.prediction.Phase.SUBMITTED).findFirst().orElse(null);
            }
            assertNotNull(submitted, "submitted");
            java.time.Instant firstCheck = submitted.dueAt();
            JsonNode d = answer.get(60, java.util.concurrent.TimeUnit.SECONDS);
            java.time.Instant answeredAt = java.time.Instant.now();
            assertEquals("completed", d.get("status").asText(), d.toString());
            assertTrue(answeredAt.isBefore(firstCheck), "answered at " + answeredAt + ", before the first check was due at " + firstCheck);
            assertEquals(0, emu.requests(Op.STATUS).size(), "the push finished it: no status check");
        }
    }
}
