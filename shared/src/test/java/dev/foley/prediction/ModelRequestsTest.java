package dev.foley.prediction;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.json.Json;
import dev.foley.model.Models;
import dev.foley.net.UrlPolicy;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Requests to the models beside MMAudio, without I/O: validated against each model's own fields,
 * kept in Foley's common parts and the model's own, shown back in its names, priced at its price
 * and unit.
 */
class ModelRequestsTest {

    static final RequestValidator V = new RequestValidator(new UrlPolicy(true));
    static final String VIDEO = "https://cdn.example.com/clip.mp4";

    PredictionRequest valid(Kind kind, dev.foley.model.Model m, String body) throws Exception {
        return V.validate(kind, m.id(), Json.parse(body));
    }

    InvalidRequestException refused(Kind kind, dev.foley.model.Model m, String body) {
        return assertThrows(InvalidRequestException.class, () -> V.validate(kind, m.id(), Json.parse(body)));
    }

    @Test
    void klingsPromptIsItsSoundEffectPromptAndItsMusicPromptIsItsOwn() throws Exception {
        PredictionRequest r = valid(Kind.VIDEO, Models.KLING, "{\"video\":\"" + VIDEO + "\",\"sound_effect_prompt\":\"glass\","
                + "\"bgm_prompt\":\"strings\"}");
        assertEquals("glass", r.prompt());
        assertEquals("strings", r.extra().get("bgm_prompt").asText());
        assertFalse(r.extra().get("asmr_mode").asBoolean(), "its default filled in");
        assertEquals("kwaivgi/kling-video-to-audio", r.path());
        var e = refused(Kind.VIDEO, Models.KLING, "{\"video\":\"" + VIDEO + "\",\"prompt\":\"glass\",\"duration\":5}");
        assertEquals("prompt", e.errors().get(0).field());
        assertTrue(e.errors().get(0).reason().contains("did you mean sound_effect_prompt?"), e.errors().get(0).reason());
        assertEquals("duration", e.errors().get(1).field(), "Kling takes no duration: " + e.errors());
    }

    @Test
    void mirelosNumSamplesIsItsOwnOnItsPathAndFoleysTakesOnTheLongPath() throws Exception {
        PredictionRequest r = valid(Kind.VIDEO, Models.MIRELO_SFX, "{\"video\":\"" + VIDEO + "\",\"num_samples\":6,\"seed\":-1}");
        assertEquals(1, r.media().samples(), "no takes of Foley's: the model makes them");
        assertEquals(6, r.extra().get("num_samples").asInt());
        assertNull(r.seed(), "-1 is random");
        assertEquals(5, r.duration(), "its default duration");
        PredictionRequest lng = valid(Kind.LONG, Models.MIRELO_SFX, "{\"video\":\"" + VIDEO + "\",\"num_samples\":3}");
        assertEquals(3, lng.media().samples(), "takes per window");
        assertFalse(lng.extra().has("num_samples"));
        assertEquals(8, lng.media().windowSeconds(), "its best window");
        var e = refused(Kind.LONG, Models.MIRELO_SFX, "{\"video\":\"" + VIDEO + "\",\"num_samples\":6}");
        assertEquals("num_samples", e.errors().get(0).field());
        var child = lng.child(Kind.VIDEO, "foley-work:w0", 8, 42);
        assertEquals(1, child.extra().get("num_samples").asInt(), "a window makes one sample per take");
    }

    @Test
    void eachModelsRequestIsStoredAndReadBackInItsOwnNames() throws Exception {
        for (var c : java.util.List.of(
                java.util.Map.entry(Models.HUNYUAN_FOLEY, "{\"video\":\"" + VIDEO + "\",\"prompt\":\"ice\",\"guidance_scale\":2,\"seed\":9}"),
                java.util.Map.entry(Models.THINKSOUND, "{\"video\":\"" + VIDEO + "\"}"),
                java.util.Map.entry(Models.KLING, "{\"video\":\"" + VIDEO + "\",\"sound_effect_prompt\":\"x\",\"asmr_mode\":true}"),
                java.util.Map.entry(Models.MIRELO_SFX, "{\"video\":\"" + VIDEO + "\",\"prompt\":\"rain\",\"num_samples\":4,\"duration\":7}"))) {
            for (Kind kind : java.util.List.of(Kind.VIDEO, Kind.LONG)) {
                PredictionRequest r = valid(kind, c.getKey(), kind == Kind.LONG ? c.getValue().replace(",\"num_samples\":4", "") : c.getValue());
                PredictionRequest back = PredictionRequest.fromJson(kind, r.model(), Json.parse(Json.write(r.toJson())));
                assertEquals(r.toJson(), back.toJson(), c.getKey().id() + " " + kind);
                assertEquals(r.extra(), back.extra());
                assertEquals(r.seed(), back.seed());
                assertEquals(r.model(), back.model());
                r.toJson().fieldNames().forEachRemaining(f -> assertTrue(
                        dev.foley.prediction.ModelFields.fieldsOf(c.getKey(), kind).contains(f), c.getKey().id() + " shows " + f));
            }
        }
    }

    @Test
    void eachModelIsPricedAtItsOwnPriceAndUnit() throws Exception {
        Pricing pricing = new Pricing(2_000); // the deployment's MMAudio price: $0.002/s
        PredictionRequest mm = V.validate(Kind.VIDEO, Json.parse("{\"video\":\"" + VIDEO + "\",\"prompt\":\"p\",\"duration\":5}"));
        assertEquals(10_000, pricing.costOf(mm));
        PredictionRequest kling = valid(Kind.VIDEO, Models.KLING, "{\"video\":\"" + VIDEO + "\"}");
        assertEquals(35_000, pricing.costOf(kling), "per video");
        PredictionRequest klingLong = valid(Kind.LONG, Models.KLING, "{\"video\":\"" + VIDEO + "\",\"duration\":30,\"window_seconds\":10}");
        // At most: the fixed windows and one more per shot cut there could be (a shot is at least Kling's 3 s).
        assertEquals((Windows.plan(30, 10, 1).size() + 30 / 3) * 35_000L, pricing.costOf(klingLong), "per window, at most");
        PredictionRequest klingFixed = valid(Kind.LONG, Models.KLING, "{\"video\":\"" + VIDEO
                + "\",\"duration\":30,\"window_seconds\":10,\"scene_cuts\":false}");
        assertEquals(Windows.plan(30, 10, 1).size() * 35_000L, pricing.costOf(klingFixed), "fixed windows: exactly these");
        PredictionRequest hunyuan = valid(Kind.VIDEO, Models.HUNYUAN_FOLEY, "{\"video\":\"" + VIDEO + "\",\"prompt\":\"p\"}");
        assertEquals(150_000, pricing.costOf(hunyuan), "reserved: its 15 s limit at $0.01");
        Prediction p = Prediction.accepted("0123456789abcdef0123456789abcdef", "k", hunyuan, null, Instant.EPOCH);
        assertEquals(60_000, pricing.costOf(p, 6.021), "charged: the 6 s it made (an AAC frame's padding is not a second)");
        assertEquals(70_000, pricing.costOf(p, 6.4));
        assertEquals(150_000, pricing.costOf(p, 40), "never past its limit");
        assertEquals(150_000, pricing.costOf(p), "not measured: its limit");
    }
}
