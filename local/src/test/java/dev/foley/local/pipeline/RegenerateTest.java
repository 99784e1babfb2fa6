package dev.foley.local.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.api.FoleyApi;
import dev.foley.local.Moto;
import dev.foley.local.bench.Clips;
import dev.foley.local.generator.AudioProbe;
import dev.foley.local.generator.MediaServer;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /api/v3/predictions/{id}/regenerate} end to end through the offline generator: a
 * 20 s still picture ({@link Clips#shots}, nothing moving, so the sound is the prompt's bed alone)
 * is scored "engine hum" as WAV (lossless, so "the same outside the stretch" can be checked sample
 * for sample), then 6–11 s is redone as "birds chirping". Measured here: the samples outside the
 * stretch against the parent's, the low band (two 2 ms moving averages) and the difference signal
 * inside it, the largest sample-to-sample step at each edge.
 */
@ExtendWith(Moto.class)
class RegenerateTest {

    @TempDir
    static Path dir;
    static MediaServer media;
    static RunningStack stack;

    @BeforeAll
    static void start() throws Exception {
        Clips.shots(dir.resolve("still.mp4"), 320, 180, 24, 20, new double[0], new double[0], new double[0], Double.NaN);
        media = new MediaServer().serving(dir);
        stack = RunningStack.offline("regenerate", dir);
    }

    @AfterAll
    static void stop() throws Exception {
        stack.close();
        media.close();
    }

    private Prediction completed(String id) throws InterruptedException {
        Prediction p = stack.await(id, q -> q.phase().terminal(), Duration.ofMinutes(3));
        assertEquals(Phase.COMPLETED, p.phase(), p.error());
        return p;
    }

    private float[] samples(String id, String name) throws Exception {
        Path out = dir.resolve(name);
        RunningStack.download(stack.result(id).get("outputs").get(0).asText(), out);
        return AudioProbe.of(out).samples();
    }

    private Map.Entry<Integer, JsonNode> regenerate(String id, String body) {
        return stack.post("/api/v3/predictions/" + id + "/regenerate", body);
    }

    @Test
    void aStretchIsRedoneAndSplicedTheRestSampleForSampleTheParentLeftAsItWas() throws Exception {
        Prediction parent = completed(stack.submit(FoleyApi.SUBMIT_LONG, "{\"video\":\"" + media.fileUrl("still.mp4")
                + "\",\"prompt\":\"engine hum\",\"seed\":3,\"output_format\":\"wav\"}", null).get("id").asText());
        float[] before = samples(parent.id(), "parent.wav");

        var r = regenerate(parent.id(), "{\"start\":6,\"end\":11,\"prompt\":\"birds chirping\"}");
        assertEquals(200, r.getKey(), r.getValue().toString());
        JsonNode data = r.getValue().get("data");
        String id = data.get("id").asText();
        assertNotEquals(parent.id(), id, "a prediction of its own");
        assertEquals(parent.id(), data.at("/regenerates/id").asText());
        assertEquals(6.0, data.at("/regenerates/start").asDouble());
        JsonNode listed = stack.list().get("items").get(0);
        assertEquals(id, listed.get("id").asText());
        JsonNode says = listed.at("/input/regenerate");
        assertEquals(List.of("parent", "start", "end"), iterable(says.fieldNames()),
                "the input says what it redoes, not where Foley keeps the parent's files: " + says);
        assertEquals(parent.id(), says.get("parent").asText());
        assertEquals(11.0, says.get("end").asDouble());
        Prediction redo = completed(id);
        assertEquals(5, redo.chargeMicroUsd() / 1000, "charged for the 5 s redone only, not the context or the rest");
        Prediction parentAfter = stack.prediction(parent.id());
        assertEquals(parent.outputKeys(), parentAfter.outputKeys(), "the parent is left as it was");
        assertEquals(parent.chargeMicroUsd(), parentAfter.chargeMicroUsd());

        float[] after = samples(id, "redo.wav");
        assertEquals(before.length, after.length, "the whole result again, the parent's length");
        int rate = 44_100;
        for (int i = 0; i < after.length; i++) {
            if (i < 6 * rate || i >= 11 * rate) {
                assertEquals(before[i], after[i], 1e-6, "outside the stretch, sample " + i + " (" + i / (double) rate + " s) is the parent's");
            }
        }
        float[] lowBefore = ScenesAndSegmentsTest.lowPass(before, rate);
        float[] lowAfter = ScenesAndSegmentsTest.lowPass(after, rate);
        double engine = ScenesAndSegmentsTest.medianDb(lowBefore, rate, 6.2, 10.8);
        double inside = ScenesAndSegmentsTest.medianDb(lowAfter, rate, 6.2, 10.8);
        assertTrue(inside < engine - 20, "inside, the engine is gone: " + inside + " dB against " + engine);
        float[] highAfter = new float[after.length];
        for (int i = 1; i < after.length; i++) {
            highAfter[i] = after[i] - after[i - 1];
        }
        float[] highBefore = new float[before.length];
        for (int i = 1; i < before.length; i++) {
            highBefore[i] = before[i] - before[i - 1];
        }
        assertTrue(ScenesAndSegmentsTest.db(highAfter, rate, 6.2, 10.8) > ScenesAndSegmentsTest.db(highBefore, rate, 6.2, 10.8) + 6,
                "inside, the birds' chirps");
        // No click at either edge: within 5 ms of it, no step larger than the sounds' own just around it
        // (the parent's across the edge, the new sound's just inside the stretch).
        double[][] around = {{6, 6.02, 6.07}, {11, 10.93, 10.98}};
        for (double[] e : around) {
            double own = Math.max(maxStep(before, rate, e[0] - 0.05, e[0] + 0.05), maxStep(after, rate, e[1], e[2]));
            double step = maxStep(after, rate, e[0] - 0.005, e[0] + 0.005);
            assertTrue(step <= own * 1.2, "a step of " + step + " at " + e[0] + " s (the sounds' own reach " + own + ")");
        }
    }

    @Test
    void aShortPredictionOfAnotherModelIsRedoneOverItsPictureAndChargedAtItsUnit() throws Exception {
        // Kling (per video): its short path, an mp4 (the picture comes back, the sound AAC, so "the same" is after the codec).
        String kling = dev.foley.model.Models.KLING.id();
        Prediction parent = completed(stack.submit("/api/v3/" + kling, "{\"video\":\"" + media.fileUrl("still.mp4")
                + "\",\"sound_effect_prompt\":\"engine hum\"}", null).get("id").asText());
        assertRefused(regenerate(parent.id(), "{\"start\":3,\"end\":7,\"prompt\":\"\"}"), 400, "prompt: must not be blank");
        var r = regenerate(parent.id(), "{\"start\":3,\"end\":7,\"prompt\":\"birds chirping\"}");
        assertEquals(200, r.getKey(), r.getValue().toString());
        Prediction redo = completed(r.getValue().at("/data/id").asText());
        assertEquals(kling, redo.request().model());
        assertEquals("birds chirping", stack.foley.predictions().windowsOf(redo.id()).get(0).request().prompt(),
                "the new prompt, under Kling's own name at the provider");
        assertEquals(35_000, redo.chargeMicroUsd(), "one window of the stretch, at Kling's price per video");
        Path out = dir.resolve("kling-redo.mp4");
        RunningStack.download(stack.result(redo.id()).get("outputs").get(0).asText(), out);
        AudioProbe a = AudioProbe.of(out);
        assertTrue(a.hasVideo(), "the picture comes back");
        Path was = dir.resolve("kling.mp4");
        RunningStack.download(stack.result(parent.id()).get("outputs").get(0).asText(), was);
        AudioProbe b = AudioProbe.of(was);
        assertEquals(b.audioSeconds(), a.audioSeconds(), 0.05, "as long as the parent's");
        int rate = a.sampleRate();
        // Outside the stretch the parent's sound, after AAC's own rounding: their difference far below the sound.
        float[] diff = new float[Math.min(a.samples().length, b.samples().length)];
        for (int i = 0; i < diff.length; i++) {
            diff[i] = a.samples()[i] - b.samples()[i];
        }
        double sound = ScenesAndSegmentsTest.db(b.samples(), rate, 0.5, 2.5);
        assertTrue(ScenesAndSegmentsTest.db(diff, rate, 0.5, 2.5) < sound - 25, "before the stretch: the parent's sound");
        assertTrue(ScenesAndSegmentsTest.db(diff, rate, 3.5, 6.5) > sound - 10, "inside it: another sound");
    }

    @Test
    void badStretchesAndParentsAreRefusedNamingWhyAndNothingIsCharged() throws Exception {
        Prediction parent = completed(stack.submit(FoleyApi.SUBMIT_LONG, "{\"video\":\"" + media.fileUrl("still.mp4")
                + "\",\"prompt\":\"rain\",\"duration\":12}", null).get("id").asText());
        long count = stack.list().get("items").size();
        assertRefused(regenerate(parent.id(), "{\"start\":6,\"end\":14}"), 400, "end: 14 s is past the end of the 12 s prediction");
        assertRefused(regenerate(parent.id(), "{\"start\":6,\"end\":5}"), 400, "end: must be after start (6 s), got 5 s");
        assertRefused(regenerate(parent.id(), "{\"start\":6,\"end\":6.5}"), 400, "end: a stretch is at least 1 s; this one is 0.5 s");
        assertRefused(regenerate(parent.id(), "{\"end\":5}"), 400, "start: required");
        assertRefused(regenerate(parent.id(), "{\"start\":1,\"end\":5,\"promt\":\"x\"}"), 400, "promt: unknown field");
        assertRefused(regenerate(parent.id(), "{\"start\":1,\"end\":5,\"num_samples\":9}"), 400,
                "num_samples: must be an integer between 1 and 4, got 9");
        assertRefused(regenerate(parent.id(), "{\"start\":1,\"end\":5,\"prompt\":\" \"}"), 400, "prompt: must not be blank");
        assertRefused(regenerate(parent.id(), "{\"start\":1,\"end\":5,\"seed\":\"7\"}"), 400,
                "seed: must be an integer between 0 and 65535, got \"7\"");
        assertRefused(regenerate(parent.id(), "[1,5]"), 400, "body: must be a JSON object");
        assertRefused(regenerate(parent.id(), "{\"start\":1,"), 400, "body: is not valid JSON");
        assertRefused(regenerate("0123456789abcdef0123456789abcdef", "{\"start\":1,\"end\":5}"), 404, "not found");
        // A parent that failed (a video that cannot be read) cannot be redone.
        Files.writeString(dir.resolve("broken.mp4"), "not a video");
        String failed = stack.submit(FoleyApi.SUBMIT_LONG, "{\"video\":\"" + media.fileUrl("broken.mp4") + "\",\"prompt\":\"p\"}", null)
                .get("id").asText();
        stack.await(failed, q -> q.phase().terminal(), Duration.ofMinutes(2));
        assertRefused(regenerate(failed, "{\"start\":1,\"end\":5}"), 409, "only a completed prediction");
        assertEquals(count + 1, stack.list().get("items").size(), "nothing stored for a refusal (the one more is the failed parent)");
    }

    @Test
    void aRegenerateIsIdempotentAndCancellableAsAnyPrediction() throws Exception {
        Prediction parent = completed(stack.submit(FoleyApi.SUBMIT_LONG, "{\"video\":\"" + media.fileUrl("still.mp4")
                + "\",\"prompt\":\"wind\",\"duration\":10}", null).get("id").asText());
        var headers = Map.of("authorization", "Bearer " + RunningStack.KEY, "content-type", "application/json", "idempotency-key", "redo-1");
        String body = "{\"start\":2,\"end\":4,\"seed\":9}";
        var e = dev.foley.local.ApiEvents.of("POST", "/api/v3/predictions/" + parent.id() + "/regenerate", "", headers, body, false);
        String first = dev.foley.json.Json.parse(dev.foley.local.Lambdas.api(stack.api, e).getBody()).at("/data/id").asText();
        String again = dev.foley.json.Json.parse(dev.foley.local.Lambdas.api(stack.api, e).getBody()).at("/data/id").asText();
        assertEquals(first, again, "the same Idempotency-Key and body: the same prediction");
        var other = dev.foley.local.ApiEvents.of("POST", "/api/v3/predictions/" + parent.id() + "/regenerate", "", headers,
                "{\"start\":2,\"end\":5}", false);
        assertEquals(422, dev.foley.local.Lambdas.api(stack.api, other).getStatusCode(), "the same key for another stretch");
        completed(first);

        String cancelled = regenerate(parent.id(), "{\"start\":3,\"end\":8}").getValue().at("/data/id").asText();
        int status = stack.cancel(cancelled);
        Prediction c = stack.await(cancelled, q -> q.phase().terminal(), Duration.ofMinutes(2));
        if (status == 200) {
            assertEquals(Phase.CANCELLED, c.phase());
            assertEquals(0, c.chargeMicroUsd(), "a cancelled regenerate costs nothing");
        } else {
            assertEquals(Phase.COMPLETED, c.phase(), "too late to cancel: it had finished");
        }
    }

    private static void assertRefused(Map.Entry<Integer, JsonNode> r, int status, String says) {
        assertEquals(status, r.getKey(), r.getValue().toString());
        assertTrue(r.getValue().path("message").asText().contains(says), r.getValue().toString());
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    private static double maxStep(float[] x, int rate, double from, double to) {
        double m = 0;
        for (int i = (int) (from * rate); i + 1 < Math.min(x.length, (int) (to * rate)); i++) {
            m = Math.max(m, Math.abs(x[i + 1] - x[i]));
        }
        return m;
    }
}
