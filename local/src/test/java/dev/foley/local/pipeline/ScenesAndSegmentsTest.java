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
import dev.foley.prediction.Windows;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Long videos that follow the cut, and a prompt per stretch of time, end to end through the
 * offline generator (whose sound follows the picture's motion and the prompt's words).
 * <p>
 * The clips are made here by {@link Clips#shots}: a 24 s three-shot clip (hard cuts at 7.0 and
 * 15.5 s, each shot its own grey level and stripes, a square bouncing onto the floor at
 * {@link #IMPACTS}, and a one-frame white flash at 11.25 s that is not a cut); and a 20 s
 * single-shot still picture for the segments (nothing moves, so the sound is the prompts' beds
 * alone). The measures are this test's own: {@link AudioProbe#onsets} for hits, and a low-pass
 * (two 2 ms moving averages) and a high band (the difference signal) for the spectral character.
 */
@ExtendWith(Moto.class)
class ScenesAndSegmentsTest {

    static final double[] CUTS = {7.0, 15.5};
    static final double[] IMPACTS = {1.5, 3.4, 5.6, 9.0, 12.8, 18.2, 20.9, 22.6};

    @TempDir
    static Path dir;
    static MediaServer media;
    static RunningStack stack;

    @BeforeAll
    static void start() throws Exception {
        Clips.shots(dir.resolve("three-shots.mp4"), 320, 180, 24, 24, CUTS, IMPACTS, new double[] {11.25}, Double.NaN);
        Clips.shots(dir.resolve("still.mp4"), 320, 180, 24, 20, new double[0], new double[0], new double[0], Double.NaN);
        media = new MediaServer().serving(dir);
        stack = RunningStack.offline("scenes", dir);
    }

    @AfterAll
    static void stop() throws Exception {
        stack.close();
        media.close();
    }

    private Prediction run(String body) throws Exception {
        String id = stack.submit(FoleyApi.SUBMIT_LONG, body, null).get("id").asText();
        Prediction p = stack.await(id, q -> q.phase().terminal(), Duration.ofMinutes(4));
        assertEquals(Phase.COMPLETED, p.phase(), p.error());
        return p;
    }

    private AudioProbe result(Prediction p, String name) throws Exception {
        Path out = dir.resolve(name);
        stack.download(stack.result(p.id()).get("outputs").get(0).asText(), out);
        return AudioProbe.of(out);
    }

    @Test
    void theWindowsFollowTheShotsAndNoHitLandsOnACut() throws Exception {
        String body = "{\"video\":\"" + media.fileUrl("three-shots.mp4") + "\",\"prompt\":\"a ball bouncing on a wooden floor\",\"seed\":5";
        Prediction p = run(body + "}");
        JsonNode scenes = stack.result(p.id()).get("scenes");
        assertEquals(3, scenes.size(), "three shots, the flash not a cut: " + scenes);
        assertEquals(0.0, scenes.get(0).get("start").asDouble());
        for (int i = 0; i < CUTS.length; i++) {
            assertEquals(CUTS[i], scenes.get(i).get("end").asDouble(), 1 / 24.0 + 1e-6, "cut " + i + " within one frame: " + scenes);
            assertEquals(scenes.get(i).get("end").asDouble(), scenes.get(i + 1).get("start").asDouble());
        }
        assertEquals(24.0, scenes.get(2).get("end").asDouble(), 0.05);
        List<Windows.Window> plan = p.windows().plan(p.request());
        assertEquals(plan.size(), p.windows().total());
        for (Windows.Window w : plan) {
            for (double c : CUTS) {
                assertFalse(w.start() < c - 0.05 && w.end() > c + 0.05, "window " + w + " spans the cut at " + c);
            }
        }
        assertEquals(24, p.chargeMicroUsd() / 1000, "charged for the 24 s once, however many windows");

        List<Double> onsets = result(p, "scenes.mp4").onsets();
        for (double c : CUTS) {
            assertTrue(onsets.stream().noneMatch(t -> Math.abs(t - c) < 0.12), "no hit at the cut at " + c + " s: " + onsets);
        }
        for (double i : IMPACTS) {
            // (The generator scales its hits to the loudest motion in a window: in the shot with the
            // white flash, the flash outweighs the square; the shots without one are checked.)
            if (i < CUTS[0] || i > CUTS[1]) {
                assertTrue(onsets.stream().anyMatch(t -> Math.abs(t - i) < 0.1), "the impact at " + i + " s is heard: " + onsets);
            }
        }

        // The sound check lines the hits up with the picture's impacts, not with its cuts (where the sound
        // fades by design): the generator's hits fall on the impacts (heard there above), so the offset is 0.
        JsonNode sync = stack.result(p.id()).at("/quality/0/sync");
        assertTrue(sync.has("offset_ms") && !sync.get("offset_ms").isNull(), "the check can tell on a multi-shot result: " + sync);
        assertEquals(0, sync.get("offset_ms").asDouble(), 40, "in sync: " + sync);

        // A stretch redone across the cut at 15.5 s: its windows follow the parent's shots (as found when the
        // parent was cut, no search of its own), it shows the parent's scenes, and its check is in sync too.
        var redo = stack.post("/api/v3/predictions/" + p.id() + "/regenerate", "{\"start\":14,\"end\":17}");
        assertEquals(200, redo.getKey(), redo.getValue().toString());
        Prediction again = stack.await(redo.getValue().at("/data/id").asText(), q -> q.phase().terminal(), Duration.ofMinutes(2));
        assertEquals(Phase.COMPLETED, again.phase(), again.error());
        assertEquals(p.windows().cuts(), again.windows().cuts(), "the parent's shots");
        assertEquals(scenes, stack.result(again.id()).get("scenes"));
        List<Windows.Window> redone = again.windows().plan(again.request());
        assertTrue(redone.size() >= 2, "split at the cut: " + redone);
        assertTrue(redone.stream().noneMatch(w -> w.start() < CUTS[1] - 0.05 && w.end() > CUTS[1] + 0.05), "no window spans 15.5 s: " + redone);
        JsonNode redoneSync = stack.result(again.id()).at("/quality/0/sync");
        assertEquals(0, redoneSync.path("offset_ms").asDouble(999), 40, "in sync: " + redoneSync);

        // The same picture in today's fixed windows: a window that spans a cut hears the cut as a hit.
        Prediction fixed = run(body + ",\"scene_cuts\":false}");
        assertNull(stack.result(fixed.id()).get("scenes"), "not looked for");
        assertEquals(Windows.plan(24, 8, 1).size(), fixed.windows().total());
        List<Double> fixedOnsets = result(fixed, "fixed.mp4").onsets();
        assertTrue(fixedOnsets.stream().anyMatch(t -> Math.abs(t - CUTS[1]) < 0.12),
                "across the cut at 15.5 s the fixed windows hear a hit (what following the cut removes): " + fixedOnsets);
    }

    @Test
    void eachSegmentIsSentWithItsOwnPromptAndTheSoundChangesAtItsEdge() throws Exception {
        Prediction p = run("{\"video\":\"" + media.fileUrl("still.mp4") + "\",\"prompt\":\"quiet room\",\"seed\":3,\"segments\":["
                + "{\"start\":0,\"end\":10,\"prompt\":\"engine hum\"},{\"start\":10,\"end\":20,\"prompt\":\"birds chirping\"}]}");
        assertEquals(2, p.request().media().segments().size());
        // Each window went to the provider with the prompt of the segment it lies in.
        for (Prediction w : stack.foley.predictions().windowsOf(p.id())) {
            String asked = w.request().prompt();
            String id = w.id();
            List<Windows.Window> plan = p.windows().plan(p.request());
            Windows.Window at = plan.get(dev.foley.lifecycle.WindowRules.startOf(id).index());
            assertEquals(at.start() < 10 ? "engine hum" : "birds chirping", asked, "window " + at);
            assertTrue(at.end() <= 10 + 1e-6 || at.start() >= 10 - 1e-6, "no window crosses the segments' edge: " + at);
        }
        assertEquals(20, p.chargeMicroUsd() / 1000);
        AudioProbe a = result(p, "segments.mp4");
        float[] x = a.samples();
        int rate = a.sampleRate();
        float[] low = lowPass(x, rate);
        float[] high = new float[x.length];
        for (int i = 1; i < x.length; i++) {
            high[i] = x[i] - x[i - 1];
        }
        double lowEngine = medianDb(low, rate, 1, 9.9);
        double lowBirds = medianDb(low, rate, 10.1, 19);
        double highEngine = db(high, rate, 1, 9.9);
        double highBirds = db(high, rate, 10.1, 19);
        assertTrue(lowEngine > lowBirds + 20, "the engine's stretch is low: " + lowEngine + " dB against " + lowBirds);
        assertTrue(highBirds > highEngine + 6, "the birds' stretch is high: " + highBirds + " dB against " + highEngine);
        // The low band changes at the edge, within 50 ms: steady until 25 ms before it, gone from 25 ms after it.
        for (double t = 9.0; t < 9.975 - 0.01; t += 0.05) {
            assertTrue(db(low, rate, t, t + 0.01) > lowEngine - 10, "the engine is still there at " + t + " s");
        }
        for (double t = 10.025; t < 10.5; t += 0.01) {
            assertTrue(db(low, rate, t, t + 0.01) < lowEngine - 20, "the engine is gone at " + t + " s");
        }
    }

    @Test
    void aShortRequestWithSegmentsIsWindowedTheSameWay() throws Exception {
        var refused = stack.post(FoleyApi.SUBMIT_VIDEO, "{\"video\":\"" + media.fileUrl("still.mp4") + "\",\"prompt\":\"p\","
                + "\"segments\":[{\"start\":4,\"end\":12,\"prompt\":\"birds chirping\"}]}");
        assertEquals(400, refused.getKey());
        assertEquals("segments[0].end: ends at 12 s, past the 8 s of video asked (duration)", refused.getValue().get("message").asText());
        JsonNode data = stack.submit(FoleyApi.SUBMIT_VIDEO, "{\"video\":\"" + media.fileUrl("still.mp4") + "\",\"prompt\":\"p\","
                + "\"duration\":10,\"output_format\":\"wav\",\"segments\":[{\"start\":0,\"end\":5,\"prompt\":\"engine hum\"},"
                + "{\"start\":5,\"end\":10,\"prompt\":\"birds chirping\"}]}", null);
        Prediction p = stack.await(data.get("id").asText(), q -> q.phase().terminal(), Duration.ofMinutes(3));
        assertEquals(Phase.COMPLETED, p.phase(), p.error());
        assertEquals(10, p.chargeMicroUsd() / 1000, "its 10 s, as the short request asked");
        List<Windows.Window> plan = p.windows().plan(p.request());
        assertTrue(plan.stream().allMatch(w -> w.end() <= 5 + 1e-6 || w.start() >= 5 - 1e-6), "split at the segments' edge: " + plan);
        AudioProbe a = result(p, "short-segments.wav");
        assertEquals(10.0, a.audioSeconds(), 0.05);
        float[] low = lowPass(a.samples(), a.sampleRate());
        assertTrue(medianDb(low, a.sampleRate(), 0.5, 4.9) > medianDb(low, a.sampleRate(), 5.1, 9.5) + 20, "engine, then birds");
    }

    /** Two 2 ms moving averages: keeps the engine's hum (below ~300 Hz), takes out the birds' 2.5-5 kHz chirps. */
    static float[] lowPass(float[] x, int rate) {
        int n = Math.max(1, rate / 500);
        float[] once = movingAverage(x, n);
        return movingAverage(once, n);
    }

    static float[] movingAverage(float[] x, int n) {
        float[] out = new float[x.length];
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += x[i] - (i >= n ? x[i - n] : 0);
            out[i] = (float) (sum / n);
        }
        return out;
    }

    /** The median level of the 10 ms frames of {@code [from, to)}: a stretch's steady bed, not its loudest moments. */
    static double medianDb(float[] x, int rate, double from, double to) {
        List<Double> levels = new java.util.ArrayList<>();
        for (double t = from; t + 0.01 <= to; t += 0.01) {
            levels.add(db(x, rate, t, t + 0.01));
        }
        java.util.Collections.sort(levels);
        return levels.get(levels.size() / 2);
    }

    static double db(float[] x, int rate, double from, double to) {
        return dev.foley.media.Sound.levelDb(x, (int) (from * rate), (int) (to * rate));
    }
}
