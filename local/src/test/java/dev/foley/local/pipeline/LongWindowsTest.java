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
import dev.foley.provider.emulator.ProviderEmulator.Op;
import dev.foley.provider.emulator.ProviderEmulator.Script;
import dev.foley.provider.emulator.WaveSpeedEmulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A long prediction's windows at a WaveSpeed stand-in that answers submits after 0.1–0.6 s and
 * runs each job 1.5 s: one submit per window, never more than the provider's concurrency at once
 * (and that many when there is work), a window that fails is tried once more, one that fails twice
 * fails the prediction uncharged and stops the rest; a crash after some windows finished re-drives
 * only the others; a cancel stops the windows at work.
 */
@ExtendWith(Moto.class)
class LongWindowsTest {

    static final Pattern WINDOW = Pattern.compile("/in-(\\d+)\\.mp4");

    @TempDir
    static Path dir;
    static MediaServer media;
    static byte[] windowOutput;
    WaveSpeedEmulator emu;
    RunningStack stack;
    Map<String, String> env;

    @BeforeAll
    static void clips() throws Exception {
        Clips.bounce(dir.resolve("40s.mp4"), 320, 240, 25, 40, new double[] {3, 11, 19, 27, 35}, 0, 0);
        // What the stand-in's jobs answer: a real 8 s clip with sound, so the join has something to join.
        windowOutput = Files.readAllBytes(Clips.bounce(dir.resolve("window-out.mp4"), 160, 120, 25, 8, new double[] {4}, 220, 0.2));
        media = new MediaServer().serving(dir);
    }

    @BeforeEach
    void start() throws Exception {
        emu = new WaveSpeedEmulator("ws-key");
        emu.script(Script.doneAfter(Duration.ofMillis(1500)))
                .latency(Op.SUBMIT, () -> Duration.ofMillis(ThreadLocalRandom.current().nextLong(100, 600)))
                .filesFrom(name -> windowOutput);
        env = new HashMap<>(Moto.wavespeed(emu));
        env.put("FOLEY_STRICT_URLS", "false");
        env.put("FOLEY_WINDOW_CONCURRENCY", "wavespeed=2");
        stack = RunningStack.start("windows", env, all -> Moto.providers(all), true).withMedia(dir.resolve("media")).withPollers(1);
    }

    @AfterEach
    void stop() throws Exception {
        stack.close();
        emu.close();
    }

    String submitLong(String extra) {
        return stack.submit(FoleyApi.SUBMIT_LONG, "{\"video\":\"" + media.fileUrl("40s.mp4")
                + "\",\"prompt\":\"footsteps on gravel\",\"negative_prompt\":\"music\",\"seed\":100" + extra + "}", null).get("id").asText();
    }

    /** How many submits the stand-in got for each window. */
    Map<Integer, Integer> submitsPerWindow() {
        Map<Integer, Integer> out = new TreeMap<>();
        for (var r : emu.requests(Op.SUBMIT)) {
            Matcher m = WINDOW.matcher(r.json().get("video").asText());
            assertTrue(m.find(), "a window's clip: " + r.json());
            out.merge(Integer.parseInt(m.group(1)), 1, Integer::sum);
        }
        return out;
    }

    @Test
    void oneSubmitPerWindowInParallelUpToTheCapAndAFailedWindowIsRetriedOnce() throws Exception {
        emu.scriptNext(Script.failsWith("worker lost"));
        String id = submitLong("");
        Prediction p = stack.await(id, q -> q.phase().terminal(), Duration.ofMinutes(3));
        List<Windows.Window> cut = Windows.following(40, 8, 1, 2); // one shot: from its start every 7 s, the last 35-40 s
        assertEquals(cut.size(), p.windows().total());
        Map<Integer, Integer> per = submitsPerWindow();
        assertEquals(cut.size(), per.size(), "every window went to the provider: " + per);
        assertEquals(cut.size() + 1, emu.requests(Op.SUBMIT).size(), "one submit per window, and one retry: " + per);
        assertEquals(1, per.values().stream().filter(n -> n == 2).count(), "exactly one window was tried twice: " + per);
        assertEquals(2, emu.maxInFlight(), "windows run two at a time (the configured concurrency), never more");
        for (var r : emu.requests(Op.SUBMIT)) {
            JsonNode b = r.json();
            Matcher m = WINDOW.matcher(b.get("video").asText());
            assertTrue(m.find());
            int index = Integer.parseInt(m.group(1));
            assertEquals("footsteps on gravel", b.get("prompt").asText());
            assertEquals("music", b.get("negative_prompt").asText());
            assertEquals(cut.get(index).providerDuration(), b.get("duration").asInt());
            assertFalse(b.has("seed"), "WaveSpeed's API has no seed field (fal and Replicate get it)");
        }
        for (Prediction w : stack.foley.predictions().windowsOf(id)) {
            int index = dev.foley.lifecycle.WindowRules.startOf(w.id()).index();
            assertEquals(Windows.seedOf(100, index), w.request().seed(), "each window's seed derives from the request's");
            assertEquals(0, w.chargeMicroUsd(), "a window is never charged");
        }
        assertEquals(40_000, p.chargeMicroUsd(), "charged once, for 40 s");
        JsonNode shown = stack.result(id);
        Path out = dir.resolve(id + ".mp4");
        RunningStack.download(shown.get("outputs").get(0).asText(), out);
        AudioProbe probe = AudioProbe.of(out);
        assertEquals(40.0, probe.audioSeconds(), 0.05);
        assertEquals(40.0, probe.videoSeconds(), 0.05);
    }

    @Test
    void aWindowFailingTwiceFailsThePredictionUnchargedAndStopsTheOthers() throws Exception {
        emu.script(Script.failsWith("CUDA out of memory"));
        String id = submitLong("");
        Prediction p = stack.await(id, q -> q.phase().terminal(), Duration.ofMinutes(2));
        assertEquals(Phase.FAILED, p.phase());
        assertTrue(p.error().contains("failed 2 times") && p.error().contains("window"), p.error());
        assertEquals(0, p.chargeMicroUsd());
        stack.await(id, q -> stack.foley.predictions().windowsOf(id).stream().allMatch(w -> w.phase().terminal()), Duration.ofSeconds(30));
        assertTrue(emu.requests(Op.SUBMIT).size() <= 4, "no window is started after the prediction failed");
    }

    @Test
    void aCrashAfterSomeWindowsFinishedReDrivesOnlyTheRest() throws Exception {
        String id = submitLong("");
        stack.await(id, q -> q.windows() != null && q.windows().done() >= 2, Duration.ofMinutes(2));
        stack.close(); // kill -9 of every process: pollers, completion, media
        List<Integer> doneBefore = stack.foley.predictions().windowsOf(id).stream().filter(w -> w.phase() == Phase.COMPLETED)
                .map(w -> dev.foley.lifecycle.WindowRules.startOf(w.id()).index()).toList();
        assertTrue(doneBefore.size() >= 2, "windows finished before the crash: " + doneBefore);
        Map<Integer, Integer> before = submitsPerWindow();
        stack = stack.restarted(Moto.providers(env)).withMedia(dir.resolve("media2")).withPollers(1);
        Prediction p = stack.await(id, q -> q.phase().terminal(), Duration.ofMinutes(3));
        assertEquals(Phase.COMPLETED, p.phase(), p.error());
        Map<Integer, Integer> after = submitsPerWindow();
        for (int w : doneBefore) {
            assertEquals(before.get(w), after.get(w), "window " + w + " was done before the crash and is not sent again");
        }
        assertEquals(p.windows().total(), after.size());
        assertEquals(40_000, p.chargeMicroUsd());
    }

    @Test
    void cancellingALongPredictionStopsItsWindowsAtWork() throws Exception {
        emu.script(Script.doneAfter(Duration.ofSeconds(30)));
        String id = submitLong("");
        stack.await(id, q -> emu.requests(Op.SUBMIT).size() >= 2, Duration.ofMinutes(1));
        stack.await(id, q -> stack.foley.predictions().windowsOf(id).stream().filter(w -> w.phase() == Phase.SUBMITTED).count() >= 2,
                Duration.ofMinutes(1));
        assertEquals(200, stack.cancel(id));
        stack.await(id, q -> emu.requests(Op.CANCEL).size() >= 2, Duration.ofMinutes(1));
        Prediction p = stack.prediction(id);
        assertEquals(Phase.CANCELLED, p.phase());
        assertEquals(0, p.chargeMicroUsd());
        assertEquals(2, emu.requests(Op.SUBMIT).size(), "no window starts after the cancel");
    }
}
