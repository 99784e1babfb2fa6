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
import dev.foley.provider.ProviderHttp;
import dev.foley.provider.emulator.ProviderEmulator.Op;
import dev.foley.provider.emulator.ProviderEmulator.Script;
import dev.foley.provider.emulator.WaveSpeedEmulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Takes ({@code num_samples}) against a WaveSpeed emulator that answers each job with the clip's
 * own impacts as clicks, shifted by an offset planted per job, in the order the jobs were made:
 * +150 ms for the first, 0 for the second, -300 ms for the third (WaveSpeed takes no seed: its
 * takes differ by its own randomness, so the offsets follow the jobs, and no seed is reported). The clip: 8 s of a
 * square bouncing at irregular times ({@link Clips#bounce}); the clicks: 8 ms noise bursts, FLAC.
 * The best-synced take comes back first, every take is one job and is charged.
 */
@ExtendWith(Moto.class)
class TakesTest {

    static final double[] IMPACTS = {0.7, 1.4, 2.6, 3.1, 4.4, 5.2, 5.7, 6.9};
    static final int SEED = 40;


    @TempDir
    Path dir;

    static byte[] clicks(double lag) throws Exception {
        return clicksFlac(IMPACTS, 0, 8, lag, 3);
    }

    /**
     * A FLAC of {@code seconds} with an 8 ms noise burst (decaying in 2 ms) at each of {@code impacts}
     * less {@code start}, shifted by {@code lag}; bursts outside the file are left out.
     */
    static byte[] clicksFlac(double[] impacts, double start, double seconds, double lag, long seed) throws Exception {
        int rate = 44_100;
        float[] x = new float[(int) Math.round(seconds * rate)];
        Random r = new Random(seed);
        for (double t : impacts) {
            int at = (int) Math.round((t - start + lag) * rate);
            for (int i = 0; i < rate / 125; i++) {
                if (at + i >= 0 && at + i < x.length) {
                    x[at + i] = (float) (0.6 * Math.exp(-i / (rate * 0.002)) * (r.nextDouble() * 2 - 1));
                }
            }
        }
        Path f = Files.createTempFile("take", ".flac");
        Ffmpeg.encode(x, rate, "flac", f);
        byte[] b = Files.readAllBytes(f);
        Files.delete(f);
        return b;
    }

    RunningStack stack(WaveSpeedEmulator emu, String name) throws Exception {
        var env = ClaimBeforeYouActTest.wavespeed(emu);
        env.put("FOLEY_STRICT_URLS", "false"); // the clip is served from 127.0.0.1
        return RunningStack.start(name, env, ProviderHttp.Policies.DEFAULT, false).withMedia(dir.resolve("media")).withPollers(1);
    }

    @Test
    void threeTakesComeBackBestSyncedFirstEachOneJobAndCharged() throws Exception {
        Clips.bounce(dir.resolve("clip.mp4"), 160, 120, 25, 8, IMPACTS, 0, 0);
        java.util.List<byte[]> byJob = java.util.List.of(clicks(0.150), clicks(0), clicks(-0.300));
        try (var emu = new WaveSpeedEmulator("ws-key"); var media = new MediaServer().serving(dir); var st = stack(emu, "takes")) {
            emu.script(Script.doneAfter(Duration.ofMillis(800))).latency(Op.SUBMIT, () -> Duration.ofMillis(200));
            emu.filesFrom(name -> byJob.get(emu.jobs().indexOf(name.substring(0, name.indexOf('.')))));
            JsonNode data = st.submitVideo("{\"video\":\"" + media.fileUrl("clip.mp4") + "\",\"prompt\":\"a ball\",\"duration\":4,\"seed\":"
                    + SEED + ",\"num_samples\":3}");
            Prediction p = st.await(data.get("id").asText(), RunningStack::settled, Duration.ofMinutes(2));
            assertEquals(Phase.COMPLETED, p.phase(), p.error());
            JsonNode shown = st.result(p.id());
            assertEquals(3, shown.get("outputs").size(), "every take");
            JsonNode takes = shown.get("takes");
            assertEquals(3, takes.size(), shown.toString());
            assertEquals(0, takes.get(0).at("/quality/sync/offset_ms").asDouble(), 40, "the 0 ms take first: " + takes);
            assertTrue(takes.get(0).get("seed").isNull(), "WaveSpeed was sent no seed: none is shown");
            assertEquals(java.util.Set.of(0, 1, 2), java.util.Set.of(takes.get(0).get("index").asInt(), takes.get(1).get("index").asInt(),
                    takes.get(2).get("index").asInt()));
            assertEquals(150, takes.get(1).at("/quality/sync/offset_ms").asDouble(), 40, "then +150 ms");
            assertEquals(-300, takes.get(2).at("/quality/sync/offset_ms").asDouble(), 40, "then -300 ms");
            assertTrue(takes.get(0).get("score").asDouble() > takes.get(1).get("score").asDouble());
            assertEquals(shown.get("quality").get(0), takes.get(0).get("quality"), "quality is in outputs order too");
            assertEquals(3, emu.jobsCreated(), "one job per take, no more");
            assertEquals(3 * 4 * 1000, p.chargeMicroUsd(), "charged for every take: 3 x 4 s");
        }
    }

    /**
     * Takes with the result shaped as asked: the clip has its own sound (a 220 Hz tone at -14 dBFS,
     * mixed under each take), a -16 LUFS target and WAV files. Each take is made into its own
     * result and checked; the ranking still follows the model's own sound against the picture
     * (0 ms first), and every output, downloaded and measured by FFmpeg's own {@code ebur128},
     * meets the target within 1 LU under the -1 dBTP ceiling.
     */
    @Test
    void takesAreShapedAsAskedEachMeasuredAndStillRankedBySync() throws Exception {
        Clips.bounce(dir.resolve("toned.mp4"), 160, 120, 25, 8, IMPACTS, 220, 0.2);
        java.util.List<byte[]> byJob = java.util.List.of(clicks(-0.300), clicks(0.150), clicks(0));
        try (var emu = new WaveSpeedEmulator("ws-key"); var media = new MediaServer().serving(dir); var st = stack(emu, "shapedtakes")) {
            emu.script(Script.doneAfter(Duration.ofMillis(600))).latency(Op.SUBMIT, () -> Duration.ofMillis(150));
            emu.filesFrom(name -> byJob.get(emu.jobs().indexOf(name.substring(0, name.indexOf('.')))));
            JsonNode data = st.submitVideo("{\"video\":\"" + media.fileUrl("toned.mp4") + "\",\"prompt\":\"a ball\",\"duration\":8,"
                    + "\"num_samples\":3,\"original_audio\":\"mix\",\"original_audio_level\":0.5,\"loudness_lufs\":-16,"
                    + "\"output_format\":\"wav\"}");
            Prediction p = st.await(data.get("id").asText(), RunningStack::settled, Duration.ofMinutes(2));
            assertEquals(Phase.COMPLETED, p.phase(), p.error());
            JsonNode shown = st.result(p.id());
            JsonNode takes = shown.get("takes");
            assertEquals(3, shown.get("outputs").size(), shown.toString());
            assertEquals(0, takes.get(0).at("/quality/sync/offset_ms").asDouble(), 40, "the 0 ms take first: " + takes);
            assertEquals(150, takes.get(1).at("/quality/sync/offset_ms").asDouble(), 40, "then +150 ms: " + takes);
            assertEquals(-300, takes.get(2).at("/quality/sync/offset_ms").asDouble(), 40, "then -300 ms: " + takes);
            for (int i = 0; i < 3; i++) {
                String url = shown.get("outputs").get(i).asText();
                assertTrue(url.contains(".wav"), url);
                Path out = dir.resolve("take-" + i + ".wav");
                RunningStack.download(url, out);
                var probe = Ffmpeg.probe(out);
                assertTrue(!probe.hasVideo() && probe.audioCodec().startsWith("pcm_"), "a WAV file: " + probe);
                var ref = dev.foley.media.FfmpegEbur128.measure(Ffmpeg.audio(out, 44_100), 44_100);
                assertEquals(-16, ref.integratedLufs(), 1.0, "take " + i + " at the target by FFmpeg's ebur128");
                assertTrue(ref.truePeakDbtp() <= -1 + 0.3, "take " + i + " under the ceiling: " + ref.truePeakDbtp());
                assertEquals(ref.integratedLufs(), takes.get(i).at("/quality/loudness/integrated_lufs").asDouble(), 0.5,
                        "the reported loudness is the file's");
            }
            assertEquals(3, emu.jobsCreated());
            assertEquals(3 * 8 * 1000, p.chargeMicroUsd());
        }
    }

    @Test
    void cancellingStopsEveryTakeAndChargesNothing() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key"); var st = stack(emu, "takecancel")) {
            emu.script(Script.neverFinishes());
            String id = st.submitVideo("{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"x\",\"num_samples\":3}").get("id").asText();
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (emu.jobsCreated() < 2 && System.nanoTime() < end) {
                Thread.sleep(50); // WaveSpeed's window concurrency: two takes at a time
            }
            assertEquals(200, st.cancel(id));
            Prediction p = st.await(id, RunningStack::settled, Duration.ofMinutes(1));
            assertEquals(Phase.CANCELLED, p.phase());
            assertEquals(0, p.chargeMicroUsd());
            long stopped = 0;
            for (int i = 0; i < 100 && stopped < emu.jobsCreated(); i++) {
                Thread.sleep(100);
                stopped = emu.jobs().stream().filter(j -> emu.job(j).cancelled).count();
            }
            assertEquals(2, emu.jobsCreated(), "the third take never started");
            assertEquals(2, stopped, "every take's job stopped at the provider");
        }
    }
}
