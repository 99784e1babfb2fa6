package dev.foley.view;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.json.Json;
import dev.foley.prediction.FieldError;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.PredictionRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The hosted API's envelope, field for field and in its order. */
class PredictionViewTest {

    static final PredictionRequest REQ = new PredictionRequest(Kind.VIDEO, "https://x.example/v.mp4", "rain", "",
            25, 8, 4.5, false, null, false);

    @Test
    void createdPredictionLooksLikeTheHostedOne() {
        Prediction p = Prediction.accepted("0123456789abcdef0123456789abcdef", "key_1", REQ, null,
                Instant.parse("2026-11-26T10:00:00Z"));
        JsonNode env = Json.parse(Envelope.ok(PredictionView.data(p, "https://api.example.com", PredictionView.OutputLinks.NONE)));
        assertEquals(200, env.get("code").asInt());
        assertEquals("success", env.get("message").asText());
        JsonNode d = env.get("data");
        List<String> names = new ArrayList<>();
        d.fieldNames().forEachRemaining(names::add);
        assertEquals(List.of("id", "model", "outputs", "urls", "has_nsfw_contents", "status", "created_at", "error", "timings"), names);
        assertEquals("wavespeed-ai/mmaudio-v2", d.get("model").asText());
        assertEquals("https://api.example.com/api/v3/predictions/0123456789abcdef0123456789abcdef/result",
                d.at("/urls/get").asText());
        assertEquals("created", d.get("status").asText());
        assertEquals("2026-11-26T10:00:00.000Z", d.get("created_at").asText());
        assertEquals("", d.get("error").asText());
        assertEquals(0, d.at("/timings/inference").asInt());
        assertTrue(d.get("outputs").isArray() && d.get("outputs").isEmpty());
        assertTrue(d.get("has_nsfw_contents").isArray());
    }

    @Test
    void createdAtKeepsMillis() {
        Prediction p = Prediction.accepted("0123456789abcdef0123456789abcdef", "k", REQ, null,
                Instant.parse("2026-01-02T03:04:05.678901Z"));
        assertEquals("2026-01-02T03:04:05.678Z", PredictionView.data(p, "", PredictionView.OutputLinks.NONE).get("created_at").asText());
    }

    @Test
    void errorEnvelopeHasNullDataAndEveryField() {
        JsonNode env = Json.parse(Envelope.error(400, "duration: bad; prompt: required",
                List.of(new FieldError("duration", "bad"), new FieldError("prompt", "required"))));
        assertEquals(400, env.get("code").asInt());
        assertTrue(env.get("data").isNull());
        assertEquals("prompt", env.at("/errors/1/field").asText());
    }

    @Test
    void textToAudioModelId() {
        var text = new PredictionRequest(Kind.TEXT, null, "rain", "", 25, 8, 4.5, false, null, false);
        Prediction p = Prediction.accepted("0123456789abcdef0123456789abcdef", "k", text, null, Instant.EPOCH);
        assertEquals("wavespeed-ai/mmaudio-v2/text-to-audio", PredictionView.data(p, "", PredictionView.OutputLinks.NONE).get("model").asText());
        assertFalse(PredictionView.dataWithInput(p, "", PredictionView.OutputLinks.NONE).get("input").has("video"));
    }

    @Test
    void theSoundCheckIsShownOnACompletedPredictionWithPlainNumbers() {
        String stored = Json.write(Quality.json(new Quality.Sync(-3.0, 0.72, null), -20.0, -1.3, 0.0, List.of("clipped")));
        Prediction done = Prediction.builder("0123456789abcdef0123456789abcdef", "k", REQ, Instant.parse("2026-12-07T10:00:00Z"))
                .phase(dev.foley.prediction.Phase.COMPLETED).quality(List.of(stored)).build();
        String shown = Json.write(PredictionView.data(done, "https://api.example", p -> List.of("https://o.example/0.mp4")));
        assertTrue(shown.contains("\"quality\":[{\"sync\":{\"offset_ms\":-3.0,\"confidence\":0.72},"
                + "\"loudness\":{\"integrated_lufs\":-20.0,\"true_peak_dbtp\":-1.3,\"range_lu\":0.0},\"flags\":[\"clipped\"]}]"), shown);
        Prediction running = done.toBuilder().phase(dev.foley.prediction.Phase.SUBMITTED).build();
        assertFalse(Json.write(PredictionView.data(running, "https://api.example", p -> List.of())).contains("quality"),
                "only a completed prediction's");
    }
}
