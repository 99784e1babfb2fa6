package dev.foley.local.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.api.FoleyApi;
import dev.foley.json.Json;
import dev.foley.local.ApiEvents;
import dev.foley.local.Lambdas;
import dev.foley.local.Moto;
import dev.foley.prediction.Phase;
import dev.foley.provider.emulator.ProviderEmulator.Op;
import dev.foley.provider.emulator.ProviderEmulator.Script;
import dev.foley.provider.emulator.WaveSpeedEmulator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The hosted API's other calls, against a WaveSpeed stand-in that answers after 0.1–0.4 s:
 * {@code DELETE /api/v3/predictions/{id}} (a running prediction is cancelled first and never
 * charged; a finished one's files go; afterwards it is a 404 and out of every list), the paged
 * history {@code POST /api/v3/predictions} with its filters, and {@code GET /api/v3/balance}'s
 * {@code data.balance}.
 */
@ExtendWith(Moto.class)
class HostedCallsTest {

    WaveSpeedEmulator emu;
    RunningStack stack;

    @BeforeEach
    void start() throws Exception {
        emu = new WaveSpeedEmulator("ws-key");
        emu.latency(Op.SUBMIT, () -> Duration.ofMillis(ThreadLocalRandom.current().nextLong(100, 400)))
                .latency(Op.CANCEL, () -> Duration.ofMillis(ThreadLocalRandom.current().nextLong(100, 400)));
        stack = RunningStack.start("hosted", new HashMap<>(Moto.wavespeed(emu)), all -> Moto.providers(all), false).withPollers(1);
    }

    @AfterEach
    void stop() {
        stack.close();
        emu.close();
    }

    record Answer(int status, JsonNode json) {
    }

    Answer call(String method, String path, String body) {
        var r = Lambdas.api(stack.api, ApiEvents.authed(RunningStack.KEY, method, path, body));
        return new Answer(r.getStatusCode(), Json.parse(r.getBody()));
    }

    String submit(String prompt) {
        return stack.submitVideo("{\"video\":\"https://cdn.example.com/v.mp4\",\"prompt\":\"" + prompt + "\",\"duration\":5}")
                .get("id").asText();
    }

    @Test
    void deletingARunningPredictionCancelsItUnchargedAndHidesIt() throws Exception {
        emu.script(Script.neverFinishes());
        String id = submit("rain");
        stack.await(id, p -> p.phase() == Phase.SUBMITTED, Duration.ofSeconds(20));
        Answer a = call("DELETE", "/api/v3/predictions/" + id, null);
        assertEquals(200, a.status(), a.json().toString());
        assertEquals("deleted", a.json().at("/data/status").asText());
        assertEquals("processing", a.json().at("/data/status_before").asText());
        assertTrue(a.json().at("/data/cancelled").asBoolean());
        assertEquals(0.0, a.json().at("/data/cost_usd").asDouble());

        var p = stack.await(id, RunningStack::settled, Duration.ofSeconds(30));
        assertEquals(Phase.CANCELLED, p.phase());
        assertEquals(0, p.chargeMicroUsd(), "a prediction deleted while running is never charged");
        assertEquals(1, emu.requests(Op.CANCEL).size(), "its provider job is stopped once");
        assertTrue(emu.job(p.job().id()).cancelled);

        assertEquals(404, call("GET", "/api/v3/predictions/" + id + "/result", null).status());
        assertEquals(404, call("GET", "/api/v3/predictions/" + id, null).status());
        assertEquals(404, call("POST", "/api/v3/predictions/" + id + "/cancel", null).status());
        assertEquals(404, call("DELETE", "/api/v3/predictions/" + id, null).status(), "deleted once");
        assertEquals(0, call("GET", "/api/v3/predictions", null).json().at("/data/items").size());
        assertEquals(0, call("POST", "/api/v3/predictions", "{\"page\":1,\"page_size\":10}").json().at("/data/items").size());
    }

    @Test
    void deletingAFinishedPredictionKeepsItsBillAndRemovesItsFiles() throws Exception {
        emu.script(Script.doneAfter(0));
        String id = submit("glass");
        var done = stack.await(id, RunningStack::settled, Duration.ofSeconds(30));
        assertEquals(Phase.COMPLETED, done.phase());
        String link = stack.result(id).get("outputs").get(0).asText();
        assertEquals(200, status(link));

        Answer a = call("DELETE", "/api/v3/predictions/" + id, null);
        assertEquals(200, a.status(), a.json().toString());
        assertEquals("completed", a.json().at("/data/status_before").asText());
        assertFalse(a.json().at("/data/cancelled").asBoolean());
        assertEquals(0.005, a.json().at("/data/cost_usd").asDouble(), 1e-9, "a finished prediction keeps its bill");
        assertEquals(5_000, stack.prediction(id).chargeMicroUsd());
        assertEquals(0, emu.requests(Op.CANCEL).size(), "nothing to stop");
        assertEquals(404, status(link), "its output file is gone");
        assertEquals(404, call("GET", "/api/v3/predictions/" + id + "/result", null).status());
    }

    static int status(String url) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void theHistoryPagesNewestFirstAndFilters() throws Exception {
        emu.script(Script.doneAfter(0));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(submit("step " + i));
            Thread.sleep(5); // distinct creation times, so newest first is well defined
        }
        for (String id : ids) {
            stack.await(id, RunningStack::settled, Duration.ofSeconds(30));
        }
        emu.script(Script.neverFinishes());
        String running = submit("still going");
        stack.await(running, p -> p.phase() == Phase.SUBMITTED, Duration.ofSeconds(20));
        String text = stack.submit(FoleyApi.SUBMIT_TEXT, "{\"prompt\":\"wind\",\"duration\":3}", null).get("id").asText();

        Answer first = call("POST", "/api/v3/predictions", "{\"page\":1,\"page_size\":3}");
        assertEquals(200, first.status(), first.json().toString());
        assertEquals(1, first.json().at("/data/page").asInt());
        assertEquals(List.of(text, running, ids.get(4)), idsOf(first.json()));
        assertTrue(first.json().at("/data/has_more").asBoolean());
        JsonNode item = first.json().at("/data/items/1");
        assertEquals("wavespeed-ai/mmaudio-v2", item.get("model").asText());
        assertEquals("processing", item.get("status").asText());
        assertTrue(item.at("/urls/get").asText().endsWith("/api/v3/predictions/" + running + "/result"));
        assertEquals("still going", item.at("/input/prompt").asText());

        Answer third = call("POST", "/api/v3/predictions", "{\"page\":3,\"page_size\":3}");
        assertEquals(List.of(ids.get(0)), idsOf(third.json()));
        assertFalse(third.json().at("/data/has_more").asBoolean());
        assertEquals(0, idsOf(call("POST", "/api/v3/predictions", "{\"page\":4,\"page_size\":3}").json()).size());

        assertEquals(List.of(ids.get(4), ids.get(3), ids.get(2), ids.get(1), ids.get(0)),
                idsOf(call("POST", "/api/v3/predictions", "{\"page\":1,\"page_size\":100,\"status\":\"completed\"}").json()));
        assertEquals(List.of(text), idsOf(call("POST", "/api/v3/predictions",
                "{\"page\":1,\"page_size\":100,\"model\":\"wavespeed-ai/mmaudio-v2/text-to-audio\"}").json()));
        String createdOfSecond = stack.prediction(ids.get(1)).createdAt().toString();
        String createdOfFourth = stack.prediction(ids.get(3)).createdAt().toString();
        assertEquals(List.of(ids.get(3), ids.get(2), ids.get(1)), idsOf(call("POST", "/api/v3/predictions",
                "{\"page\":1,\"page_size\":100,\"created_after\":\"" + createdOfSecond + "\",\"created_before\":\""
                        + createdOfFourth + "\"}").json()));
        assertEquals(7, idsOf(call("POST", "/api/v3/predictions", "").json()).size(), "no body: the first page of 20");
    }

    static List<String> idsOf(JsonNode env) {
        List<String> out = new ArrayList<>();
        env.at("/data/items").forEach(i -> out.add(i.get("id").asText()));
        return out;
    }

    @Test
    void aBadHistoryQueryIsA400NamingTheField() {
        Map<String, String> bad = Map.of(
                "{\"page\":0,\"page_size\":10}", "page: must be an integer of at least 1, got 0",
                "{\"page\":1,\"page_size\":101}", "page_size: must be at most 100, got 101",
                "{\"page\":1.5}", "page: must be an integer of at least 1, got 1.5",
                "{\"page\":18446744073709551716}", "page: must be at most 10000, got 18446744073709551716",
                "{\"page\":200,\"page_size\":100}", "page: page × page_size must be at most 10000",
                "{\"status\":\"done\"}", "status: must be one of created, processing, completed, failed, cancelled, got done",
                "{\"model\":\"fal-ai/mmaudio-v2\"}", "model: must be one of wavespeed-ai/mmaudio-v2",
                "{\"created_after\":\"yesterday\"}", "created_after: must be a time like 2026-12-01T10:00:00Z",
                "{\"created_after\":\"2026-12-02\",\"created_before\":\"2026-12-01\"}", "created_after: must not be after created_before",
                "{\"pagesize\":10}", "pagesize: unknown field");
        bad.forEach((body, message) -> {
            Answer a = call("POST", "/api/v3/predictions", body);
            assertEquals(400, a.status(), body + " -> " + a.json());
            assertTrue(a.json().get("message").asText().contains(message), body + " -> " + a.json());
        });
        var r = Lambdas.api(stack.api, ApiEvents.of("POST", "/api/v3/predictions", "",
                Map.of("authorization", "Bearer " + RunningStack.KEY, "content-type", "text/plain"), "{}", false));
        assertEquals(415, r.getStatusCode());
        assertEquals(0, emu.requests(Op.SUBMIT).size());
    }

    @Test
    void theBalanceIsDataBalanceAsHosted() {
        Answer payg = call("GET", "/api/v3/balance", null);
        assertEquals(200, payg.status());
        assertTrue(payg.json().at("/data/balance").isNull(), "a pay-as-you-go key has no balance: " + payg.json());
        assertFalse(payg.json().at("/data/prepaid").asBoolean());

        String prepaid = "fk_prepaid-balance-key-0123456789";
        new dev.foley.store.ApiKeyStore(Moto.dynamo(stack.settings), stack.settings.table(), java.time.Clock.systemUTC())
                .create("prepaid", prepaid, "wavespeed", 2_500_000L);
        var r = Lambdas.api(stack.api, ApiEvents.authed(prepaid, "GET", "/api/v3/balance", null));
        JsonNode d = Json.parse(r.getBody()).get("data");
        assertEquals(2.5, d.get("balance").asDouble(), 1e-9);
        assertEquals(2.5, d.get("balance_usd").asDouble(), 1e-9);
        assertTrue(d.get("prepaid").asBoolean());
    }
}
