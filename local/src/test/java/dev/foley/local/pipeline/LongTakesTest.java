package dev.foley.local.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.api.FoleyApi;
import dev.foley.local.Moto;
import dev.foley.local.bench.Clips;
import dev.foley.local.generator.MediaServer;
import dev.foley.media.Ffmpeg;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.Windows;
import dev.foley.provider.emulator.ProviderEmulator.Op;
import dev.foley.provider.emulator.ProviderEmulator.Script;
import dev.foley.provider.emulator.WaveSpeedEmulator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The long model with takes: N takes of every window, each checked against its window's picture,
 * the best of each joined. The clip: 22 s of a square bouncing at irregular times
 * ({@link Clips#bounce}), cut into 8 s windows overlapping 1 s (0–8, 7–15, 14–22 s). A WaveSpeed
 * stand-in (submits answered after 0.1–0.5 s, jobs done after 0.8 s) answers each job with the
 * window's own impacts as clicks (8 ms noise bursts, FLAC), shifted by an offset planted per window
 * and per job in the order the window's jobs were made: window 0 gets +250 ms then 0, window 1 gets
 * 0 then -250 ms, window 2 gets +250 ms then 0, so the take to choose differs between windows.
 * The joined sound is checked in the test by its own envelope: at every impact a click, where a
 * wrong take would have put it 250 ms away, none.
 */
@ExtendWith(Moto.class)
class LongTakesTest {

    static final double[] IMPACTS = {0.9, 2.3, 2.9, 4.6, 6.2, 7.5, 9.1, 10.2, 11.9, 13.4, 15.6, 16.3, 18.1, 19.7, 21.0};
    static final double[][] PLANTED = {{0.250, 0}, {0, -0.250}, {0.250, 0}};
    static final Pattern WINDOW = Pattern.compile("/in-(\\d+)\\.mp4");

    @TempDir
    Path dir;

    /** The sound a job makes for window {@code w}: its impacts, relative to the window's start, shifted by {@code lag}. */
    static byte[] clicks(Windows.Window w, double lag) throws Exception {
        return TakesTest.clicksFlac(IMPACTS, w.start(), w.length(), lag, 5);
    }

    @Test
    void eachWindowJoinsItsBestTakeEveryTakeOneJobAndAllCharged() throws Exception {
        Clips.bounce(dir.resolve("22s.mp4"), 160, 120, 25, 22, IMPACTS, 0, 0);
        List<Windows.Window> plan = Windows.plan(22, 8, 1);
        assertEquals(3, plan.size());
        Map<String, Double> plantedByJob = new ConcurrentHashMap<>();
        Map<Integer, Integer> madeForWindow = new ConcurrentHashMap<>();
        try (var emu = new WaveSpeedEmulator("ws-key"); var media = new MediaServer().serving(dir)) {
            emu.script(Script.doneAfter(Duration.ofMillis(800)))
                    .latency(Op.SUBMIT, () -> Duration.ofMillis(ThreadLocalRandom.current().nextLong(100, 500)));
            emu.filesFrom(name -> {
                String job = name.substring(0, name.indexOf('.'));
                Matcher m = WINDOW.matcher(emu.job(job).input.get("video").asText());
                assertTrue(m.find());
                int w = Integer.parseInt(m.group(1));
                double lag = plantedByJob.computeIfAbsent(job, j -> PLANTED[w][madeForWindow.merge(w, 1, Integer::sum) - 1]);
                try {
                    return clicks(plan.get(w), lag);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Map<String, String> env = new HashMap<>(Moto.wavespeed(emu));
            env.put("FOLEY_STRICT_URLS", "false");
            env.put("FOLEY_WINDOW_CONCURRENCY", "wavespeed=2");
            try (var st = RunningStack.start("longtakes", env, all -> Moto.providers(all), true).withMedia(dir.resolve("media")).withPollers(1)) {
                String id = st.submit(FoleyApi.SUBMIT_LONG, "{\"video\":\"" + media.fileUrl("22s.mp4")
                        + "\",\"prompt\":\"a ball bouncing\",\"num_samples\":2,\"output_format\":\"wav\"}", null).get("id").asText();
                Prediction p = st.await(id, q -> q.phase().terminal(), Duration.ofMinutes(3));
                assertEquals(Phase.COMPLETED, p.phase(), p.error());
                assertEquals(6, emu.jobsCreated(), "two takes of each of three windows: one job each, no more");
                assertEquals(2, emu.maxInFlight(), "at most the provider's concurrency at once");
                assertEquals(2 * 22 * 1000, p.chargeMicroUsd(), "charged for every take: 2 x 22 s");

                JsonNode shown = st.result(id);
                assertEquals(1, shown.get("outputs").size(), "one joined result");
                assertEquals(3, shown.at("/progress/windows_total").asInt(), shown.toString());
                assertEquals(6, shown.at("/progress/takes_total").asInt(), shown.toString());
                JsonNode windows = shown.get("windows");
                assertEquals(3, windows.size(), shown.toString());
                // Which job each take was: window w's take t is child w * 2 + t.
                Map<Integer, String> jobOfChild = new HashMap<>();
                for (Prediction c : st.foley.predictions().windowsOf(id)) {
                    jobOfChild.put(dev.foley.lifecycle.WindowRules.startOf(c.id()).index(), c.job().id());
                }
                for (int w = 0; w < 3; w++) {
                    JsonNode win = windows.get(w);
                    assertEquals(w, win.get("index").asInt());
                    assertEquals(plan.get(w).start(), win.get("start").asDouble(), 1e-6);
                    assertEquals(plan.get(w).end(), win.get("end").asDouble(), 1e-6);
                    assertEquals(2, win.get("takes").size(), win.toString());
                    for (int t = 0; t < 2; t++) {
                        double planted = plantedByJob.get(jobOfChild.get(w * 2 + t));
                        assertEquals(planted * 1000, win.get("takes").get(t).at("/quality/sync/offset_ms").asDouble(), 40,
                                "window " + w + " take " + t + " reads back its planted offset: " + win);
                        if (planted == 0) {
                            assertEquals(t, win.get("take").asInt(), "window " + w + " joins its 0 ms take: " + win);
                        }
                    }
                    assertTrue(win.get("takes").get(0).has("seed"), "each take says its seed (none sent to WaveSpeed: null)");
                }
                assertEquals(0, shown.at("/quality/0/sync/offset_ms").asDouble(), 40, "the join is on the picture");

                // The test's own look at the joined sound: a click at each impact, none where a wrong take would put it.
                Path out = dir.resolve("joined.wav");
                RunningStack.download(shown.get("outputs").get(0).asText(), out);
                float[] x = Ffmpeg.audio(out, 44_100);
                for (double t : IMPACTS) {
                    double on = peak(x, t - 0.02, t + 0.03);
                    double early = peak(x, t - 0.27, t - 0.22);
                    double late = peak(x, t + 0.23, t + 0.28);
                    assertTrue(on > 5 * Math.max(early, late), String.format("at %.1f s: click %.3f, 250 ms off %.3f / %.3f", t, on, early, late));
                }
            }
        }
    }

    static double peak(float[] x, double from, double to) {
        double m = 0;
        for (int i = Math.max(0, (int) (from * 44_100)); i < Math.min(x.length, (int) (to * 44_100)); i++) {
            m = Math.max(m, Math.abs(x[i]));
        }
        return m;
    }
}
