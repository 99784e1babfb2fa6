package dev.foley.local.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.api.FoleyApi;
import dev.foley.json.Json;
import dev.foley.local.ApiEvents;
import dev.foley.local.Lambdas;
import dev.foley.local.LocalContext;
import dev.foley.local.LocalFoley;
import dev.foley.local.Moto;
import dev.foley.obs.Log;
import dev.foley.obs.Metrics;
import dev.foley.provider.ProviderHttp;
import dev.foley.provider.emulator.ProviderEmulator.Op;
import dev.foley.provider.emulator.ProviderEmulator.Script;
import dev.foley.provider.emulator.WaveSpeedEmulator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 12: what Foley logs and measures, read back as CloudWatch would get it. Every line parses
 * as JSON; a prediction's phase changes appear in order with its id, key, provider and age; the
 * submit's lines carry the Lambda and API Gateway request ids; every EMF blob is valid by the
 * specification; a handled 500 is counted in the 5xx metric and its request id leads to its line.
 */
@ExtendWith(Moto.class)
class ObservabilityTest {

    /** The EMF specification's units. */
    static final Set<String> UNITS = Set.of("Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
            "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
            "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
            "Gigabits/Second", "Terabits/Second", "Count/Second", "None");

    final List<String> lines = new CopyOnWriteArrayList<>();
    Log.Sink before;

    @BeforeEach
    void capture() {
        before = Log.sink();
        Log.sinkTo((level, json, fields) -> lines.add(json));
    }

    @AfterEach
    void restore() {
        Log.sinkTo(before);
    }

    @Test
    void submitToWebhookLogsEachPhaseInOrderAndValidMetrics() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key"); var hook = new WebhookReceiver()) {
            emu.script(Script.doneAfter(Duration.ofMillis(800))).latency(Op.SUBMIT, () -> Duration.ofMillis(200));
            try (var st = RunningStack.start("obs", ClaimBeforeYouActTest.wavespeed(emu), ProviderHttp.Policies.DEFAULT, false)
                    .withPollers(1)) {
                var event = ApiEvents.of("POST", FoleyApi.SUBMIT_VIDEO, "webhook=" + hook.url("/hook"),
                        Map.of("authorization", "Bearer " + RunningStack.KEY, "content-type", "application/json"),
                        "{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"rain\",\"duration\":4}", false);
                String apiGatewayId = event.getRequestContext().getRequestId();
                var r = Lambdas.api(st.api, event, LocalContext.of("lambda-req-1", "foley-api", 30));
                assertEquals(200, r.getStatusCode(), r.getBody());
                String id = Json.parse(r.getBody()).at("/data/id").asText();
                st.await(id, RunningStack::settled, Duration.ofMinutes(1));
                assertEquals(1, hook.received().size());

                List<JsonNode> events = new ArrayList<>();
                List<JsonNode> blobs = new ArrayList<>();
                for (String line : lines) {
                    assertFalse(line.contains("\n"), "one line per event: " + line);
                    JsonNode n = Json.parse(line); // every line is JSON
                    (n.has("_aws") ? blobs : events).add(n);
                }
                for (JsonNode e : events) {
                    for (String f : List.of("timestamp", "level", "message", "logger", "service")) {
                        assertTrue(e.hasNonNull(f), f + " in " + e);
                    }
                }
                List<JsonNode> mine = events.stream().filter(e -> id.equals(e.path("prediction_id").asText()) && e.has("phase_to")).toList();
                assertEquals(List.of("accepted", "submitted", "upstream_done", "completed"),
                        mine.stream().map(e -> e.get("phase_to").asText()).toList(), "its life, in order: " + mine);
                assertEquals(List.of("-", "accepted", "submitted", "upstream_done"), mine.stream().map(e -> e.get("phase_from").asText()).toList());
                String keyId = st.foley.keys().list().get(0).keyId();
                for (JsonNode e : mine) {
                    assertEquals(keyId, e.path("key_id").asText(), e.toString());
                    assertEquals("INFO", e.path("level").asText());
                    assertTrue(e.path("age_ms").isNumber(), e.toString());
                    assertFalse(e.toString().contains(RunningStack.KEY), "never the key itself");
                }
                for (JsonNode e : mine.subList(1, 4)) {
                    assertEquals("wavespeed", e.path("provider").asText(), e.toString());
                }
                // The submit happened inside the API invocation: its lines name both request ids.
                for (JsonNode e : mine.subList(0, 2)) {
                    assertEquals("lambda-req-1", e.path("function_request_id").asText(), e.toString());
                    assertEquals(apiGatewayId, e.path("correlation_id").asText(), e.toString());
                    assertTrue(e.path("cold_start").isBoolean());
                }

                Set<String> names = new HashSet<>();
                for (JsonNode b : blobs) {
                    names.addAll(validEmf(b));
                }
                for (Metrics.Metric m : List.of(Metrics.Metric.PredictionsSubmitted, Metrics.Metric.PredictionsCompleted,
                        Metrics.Metric.ProviderSubmitLatency, Metrics.Metric.TimeToDone, Metrics.Metric.WebhookDeliveries,
                        Metrics.Metric.BytesCopied, Metrics.Metric.CopyTime, Metrics.Metric.ApiResponses, Metrics.Metric.SecondsCharged,
                        Metrics.Metric.MicroUsdCharged, Metrics.Metric.PollerBacklog)) {
                    assertTrue(names.contains(m.name()), m + " emitted: " + names);
                }
                JsonNode charged = blobs.stream().filter(b -> b.has("SecondsCharged")).findFirst().orElseThrow();
                assertEquals(4, charged.get("SecondsCharged").asInt(), "charged for its 4 s");
                JsonNode delivered = blobs.stream().filter(b -> b.has("WebhookDeliveries")).findFirst().orElseThrow();
                assertEquals("delivered", delivered.get("Outcome").asText());
            }
        }
    }

    /** Checks one EMF blob against the specification; returns its metric names. */
    static Set<String> validEmf(JsonNode b) {
        JsonNode aws = b.get("_aws");
        assertTrue(aws.path("Timestamp").isIntegralNumber(), "Timestamp: " + b);
        JsonNode directives = aws.get("CloudWatchMetrics");
        assertTrue(directives.isArray() && directives.size() >= 1, b.toString());
        Set<String> names = new HashSet<>();
        for (JsonNode d : directives) {
            assertTrue(d.path("Namespace").isTextual() && !d.get("Namespace").asText().isBlank(), b.toString());
            assertTrue(d.path("Dimensions").isArray(), b.toString());
            for (JsonNode set : d.get("Dimensions")) {
                assertTrue(set.isArray() && set.size() <= 30, b.toString());
                for (JsonNode dim : set) {
                    assertTrue(b.path(dim.asText()).isTextual(), "dimension " + dim + " has a string value: " + b);
                }
            }
            assertTrue(d.path("Metrics").isArray() && d.get("Metrics").size() >= 1, b.toString());
            for (JsonNode m : d.get("Metrics")) {
                String name = m.path("Name").asText();
                assertFalse(name.isBlank() || name.length() > 255, b.toString());
                assertTrue(UNITS.contains(m.path("Unit").asText()), "unit of " + name + ": " + b);
                assertTrue(b.path(name).isNumber(), name + " has a number: " + b);
                names.add(name);
            }
        }
        return names;
    }

    @Test
    void aHandled500IsCountedAs5xxAndItsRequestIdLeadsToItsLine() throws Exception {
        var s = Moto.settings("no-such-table-obs", Map.of());
        var handler = new dev.foley.functions.api.ApiHandler(LocalFoley.wire(s, Moto.providers(Map.of("FOLEY_PROVIDER", "wavespeed",
                "WAVESPEED_API_KEY", "k", "WAVESPEED_BASE_URL", "http://127.0.0.1:9")), java.util.Optional.empty()).api());
        var event = ApiEvents.authed("fk_x", "POST", FoleyApi.SUBMIT_VIDEO, "{\"video\":\"https://a.example/v.mp4\",\"prompt\":\"x\"}");
        var r = Lambdas.api(handler, event, LocalContext.of("lambda-req-500", "foley-api", 30));
        assertEquals(500, r.getStatusCode(), r.getBody());
        JsonNode env = Json.parse(r.getBody());
        String requestId = env.path("request_id").asText();
        assertEquals(event.getRequestContext().getRequestId(), requestId, "the envelope names the request: " + r.getBody());
        assertEquals(requestId, r.getHeaders().get("x-request-id"));
        JsonNode counted = lines.stream().map(Json::parse).filter(n -> n.has("ApiResponses") && "5xx".equals(n.path("StatusClass").asText()))
                .findFirst().orElseThrow(() -> new AssertionError("no 5xx counted: " + lines));
        validEmf(counted);
        List<JsonNode> errors = lines.stream().map(Json::parse).filter(n -> "ERROR".equals(n.path("level").asText())).toList();
        assertTrue(errors.stream().anyMatch(n -> requestId.equals(n.path("correlation_id").asText())), "the line for " + requestId + ": " + errors);
        JsonNode withStack = errors.stream().filter(n -> n.has("error")).findFirst().orElseThrow();
        assertTrue(withStack.at("/error/stack").asText().contains("\n\tat "), "the stack is one field of one event");
        assertEquals("lambda-req-500", withStack.path("function_request_id").asText());
        // A 4xx envelope names its request too.
        var bad = Lambdas.api(handler, ApiEvents.of("GET", "/api/v3/nope", "", Map.of(), null, false));
        assertEquals(404, bad.getStatusCode());
        assertFalse(Json.parse(bad.getBody()).path("request_id").asText().isBlank(), bad.getBody());
    }
}
