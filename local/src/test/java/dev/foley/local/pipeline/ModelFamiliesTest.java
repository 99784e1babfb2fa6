package dev.foley.local.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.local.Moto;
import dev.foley.local.bench.Clips;
import dev.foley.local.generator.MediaServer;
import dev.foley.local.generator.MediaWriter;
import dev.foley.model.Models;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.provider.emulator.FalEmulator;
import dev.foley.provider.emulator.ProviderEmulator.Op;
import dev.foley.provider.emulator.ProviderEmulator.Script;
import dev.foley.provider.emulator.WaveSpeedEmulator;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The four model families beside MMAudio, each at its hosted path with its hosted field names, at
 * WaveSpeed and fal stand-ins that answer submits after 0.1-0.5 s and run each job 0.3-1 s: the
 * request reaches the provider in the provider's own names, the outputs come back and are copied
 * into our bucket, and the prediction is charged at the model's own price and unit; bad input is a
 * 400 naming the model's own field; the long path windows within each model's limits (at most 15 s
 * for HunyuanVideo-Foley, at least 3 s for Kling); a stereo 48 kHz model stays stereo 48 kHz
 * through {@code mix} and through a join.
 *
 * <p>Clips made here: {@code 6s.mp4} and {@code 40s.mp4}, a ball bouncing at known times with a
 * quiet 220 Hz tone as the clip's own sound ({@link Clips#bounce}); the stand-ins' outputs are
 * made by {@link MediaWriter} from a click every 0.5 s in the model's own shape: 48 kHz stereo for
 * HunyuanVideo-Foley (the right channel at 0.7 of the left, so a fold to mono is seen as a level
 * ratio of 1), 44.1 kHz stereo for the others, Mirelo's as sound files. The channels are measured
 * here by decoding the result and comparing each channel's RMS, not by Foley's own code.
 */
@ExtendWith(Moto.class)
class ModelFamiliesTest {

    @TempDir
    static Path dir;
    static MediaServer media;
    static byte[] stereo48k6s;
    static byte[] stereo48k15s;
    static byte[] stereo44k6s;
    static byte[] stereo44k4s;
    static byte[] mireloFlac;

    @BeforeAll
    static void clips() throws Exception {
        Path six = Clips.bounce(dir.resolve("6s.mp4"), 160, 120, 25, 6, new double[] {1, 2.5, 4}, 220, 0.2);
        Clips.bounce(dir.resolve("40s.mp4"), 160, 120, 25, 40, new double[] {3, 11, 19, 27, 35}, 220, 0.2);
        Clips.bounce(dir.resolve("12s.mp4"), 160, 120, 25, 12, new double[] {2, 6, 10}, 0, 0);
        Path fifteen = Clips.bounce(dir.resolve("15s-in.mp4"), 160, 120, 25, 15, new double[] {3}, 0, 0);
        Path four = Clips.bounce(dir.resolve("4s-in.mp4"), 160, 120, 25, 4, new double[] {1}, 0, 0);
        stereo48k6s = output(six, 6, new MediaWriter.Shape(48_000, 2), "h6.mp4");
        stereo48k15s = output(fifteen, 15, new MediaWriter.Shape(48_000, 2), "h15.mp4");
        stereo44k6s = output(six, 6, new MediaWriter.Shape(44_100, 2), "s6.mp4");
        stereo44k4s = output(four, 4, new MediaWriter.Shape(44_100, 2), "s4.mp4");
        Path flac = dir.resolve("m.flac");
        MediaWriter.writeFlac(clicks(4), flac, new MediaWriter.Shape(44_100, 2));
        mireloFlac = Files.readAllBytes(flac);
        media = new MediaServer().serving(dir);
    }

    /** A click every 0.5 s at 44.1 kHz (what {@link MediaWriter} takes). */
    static float[] clicks(double seconds) {
        float[] a = new float[(int) (seconds * 44_100)];
        for (int at = 0; at < a.length; at += 22_050) {
            for (int i = 0; i < 200 && at + i < a.length; i++) {
                a[at + i] = (float) (0.5 * Math.exp(-i / 40.0) * Math.sin(2 * Math.PI * 1500 * i / 44_100.0));
            }
        }
        return a;
    }

    static byte[] output(Path picture, double seconds, MediaWriter.Shape shape, String name) throws Exception {
        Path out = dir.resolve(name);
        MediaWriter.writeVideo(picture, clicks(seconds), seconds, out, shape);
        return Files.readAllBytes(out);
    }

    /** Sample rate, channel count and each channel's RMS of a file's sound, decoded here. */
    record Channels(int rate, int channels, double[] rms, double side) {
        double ratio() {
            return rms[0] / rms[1];
        }
    }

    static Channels channels(Path file) throws Exception {
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile())) {
            g.setSampleFormat(org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_FLT);
            g.start();
            int ch = g.getAudioChannels();
            double[] sum = new double[ch];
            double sideSum = 0;
            long n = 0;
            Frame f;
            while ((f = g.grabSamples()) != null) {
                FloatBuffer b = (FloatBuffer) f.samples[0];
                float[] all = new float[b.remaining()];
                b.get(all);
                for (int i = 0; i < all.length; i++) {
                    sum[i % ch] += all[i] * all[i];
                    if (ch == 2 && i % 2 == 0 && i + 1 < all.length) {
                        sideSum += (all[i] - all[i + 1]) * (all[i] - all[i + 1]);
                    }
                }
                n += all.length / ch;
            }
            double[] rms = new double[ch];
            for (int c = 0; c < ch; c++) {
                rms[c] = Math.sqrt(sum[c] / Math.max(1, n));
            }
            return new Channels(g.getSampleRate(), ch, rms, Math.sqrt(sideSum / Math.max(1, n)));
        }
    }

    static Script realistic() {
        return Script.doneAfter(Duration.ofMillis(ThreadLocalRandom.current().nextLong(300, 1000)));
    }

    RunningStack wavespeed(WaveSpeedEmulator emu, String name) throws Exception {
        emu.script(realistic()).latency(Op.SUBMIT, () -> Duration.ofMillis(ThreadLocalRandom.current().nextLong(100, 500)));
        Map<String, String> env = new HashMap<>(Moto.wavespeed(emu));
        env.put("FOLEY_STRICT_URLS", "false");
        return RunningStack.start(name, env, all -> Moto.providers(all), true).withMedia(dir.resolve("media-" + name)).withPollers(1);
    }

    /** Submits {@code fields} (without the braces) to {@code model}'s path; its prediction's id. */
    static String submit(RunningStack stack, dev.foley.model.Model model, String fields) {
        return stack.submit("/api/v3/" + model.id(), "{" + fields + "}", null).get("id").asText();
    }

    Prediction done(RunningStack stack, String id) throws Exception {
        Prediction p = stack.await(id, q -> q.phase().terminal(), Duration.ofMinutes(3));
        assertEquals(Phase.COMPLETED, p.phase(), p.error());
        return p;
    }

    @Test
    void eachModelsHostedFieldsReachWaveSpeedAsTheyAreAndEachIsChargedAtItsOwnPrice() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key")) {
            emu.filesFrom(name -> name.endsWith(".wav") ? mireloFlac : stereo48k6s);
            try (RunningStack stack = wavespeed(emu, "families")) {
                String video = media.fileUrl("6s.mp4");
                // HunyuanVideo-Foley: $0.01 per second of the sound it made (the video's 6 s).
                List<String> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
                var sink = dev.foley.obs.Log.sink();
                dev.foley.obs.Log.sinkTo((level, json, fields) -> logged.add(json));
                String h;
                Prediction hp;
                try {
                    h = submit(stack, Models.HUNYUAN_FOLEY, "\"video\":\"" + video
                            + "\",\"prompt\":\"footsteps on gravel\",\"guidance_scale\":6,\"num_inference_steps\":30,\"seed\":7");
                    hp = done(stack, h);
                    // The metric follows the completing transaction on the completion's own thread.
                    for (int i = 0; i < 200 && logged.stream().noneMatch(l -> l.contains("\"SecondsCharged\"")); i++) {
                        Thread.sleep(50);
                    }
                } finally {
                    dev.foley.obs.Log.sinkTo(sink);
                }
                // The metric says what was charged: the 6 s measured, not the model's 15 s limit.
                List<Long> metered = logged.stream().map(dev.foley.json.Json::parse).filter(n -> n.has("SecondsCharged"))
                        .map(n -> n.get("SecondsCharged").asLong()).toList();
                assertEquals(List.of(6L), metered, "SecondsCharged as charged");
                var hb = emu.requests(Op.SUBMIT).get(0);
                assertEquals("/api/v3/wavespeed-ai/hunyuan-video-foley", hb.path());
                assertEquals("footsteps on gravel", hb.json().get("prompt").asText());
                assertEquals(6.0, hb.json().get("guidance_scale").asDouble());
                assertEquals(30, hb.json().get("num_inference_steps").asInt());
                assertEquals("noisy, harsh", hb.json().get("negative_prompt").asText(), "the model's own default is sent");
                assertEquals(7, hb.json().get("seed").asInt());
                assertFalse(hb.json().has("enable_sync_mode") || hb.json().has("duration") || hb.json().has("mask_away_clip"),
                        "only the model's own fields: " + hb.json());
                assertEquals(60_000, hp.chargeMicroUsd(), "6 s at $0.01");
                JsonNode shown = stack.result(h);
                assertEquals("wavespeed-ai/hunyuan-video-foley", shown.get("model").asText());
                assertTrue(shown.get("outputs").get(0).asText().contains(h), "copied into our bucket: " + shown.get("outputs"));

                // Kling: two prompts under its own names, $0.035 per video whatever its length.
                String k = submit(stack, Models.KLING, "\"video\":\"" + video
                        + "\",\"sound_effect_prompt\":\"glass shatters\",\"bgm_prompt\":\"tense strings\",\"asmr_mode\":true");
                Prediction kp = done(stack, k);
                var kb = emu.requests(Op.SUBMIT).get(1);
                assertEquals("/api/v3/kwaivgi/kling-video-to-audio", kb.path());
                assertEquals("glass shatters", kb.json().get("sound_effect_prompt").asText());
                assertEquals("tense strings", kb.json().get("bgm_prompt").asText());
                assertTrue(kb.json().get("asmr_mode").asBoolean());
                assertFalse(kb.json().has("prompt"), kb.json().toString());
                assertEquals(35_000, kp.chargeMicroUsd());
                assertEquals("{\"video\":\"" + video + "\",\"sound_effect_prompt\":\"glass shatters\",\"bgm_prompt\":\"tense strings\","
                        + "\"asmr_mode\":true,\"enable_sync_mode\":false}", stack.list().get("items").get(0).get("input").toString(),
                        "the input is shown in the model's own names");

                // ThinkSound: no prompt needed; $0.001 per second made.
                String t = stack.submit("/api/v3/" + Models.THINKSOUND.id(), "{\"video\":\"" + video + "\"}", null).get("id").asText();
                Prediction tp = done(stack, t);
                var tb = emu.requests(Op.SUBMIT).get(2);
                assertEquals("/api/v3/wavespeed-ai/think-sound", tb.path());
                assertEquals("", tb.json().get("prompt").asText());
                assertFalse(tb.json().has("seed"), "-1 (random) is the default: none sent");
                assertEquals(6_000, tp.chargeMicroUsd());

                // Mirelo: its own num_samples; every sample back, checked, best first; charged by its duration.
                String m = stack.submit("/api/v3/" + Models.MIRELO_SFX.id(), "{\"video\":\"" + video
                        + "\",\"prompt\":\"rain\",\"num_samples\":3,\"duration\":4,\"seed\":11}", null).get("id").asText();
                Prediction mp = done(stack, m);
                var mb = emu.requests(Op.SUBMIT).get(3);
                assertEquals("/api/v3/mirelo-ai/sfx-v1/video-to-audio", mb.path());
                assertEquals(3, mb.json().get("num_samples").asInt());
                assertEquals(4, mb.json().get("duration").asInt());
                assertEquals(1, emu.requests(Op.SUBMIT).stream().filter(r -> r.path().contains("mirelo")).count(),
                        "the model makes its samples in one request");
                JsonNode ms = stack.result(m);
                assertEquals(3, ms.get("outputs").size(), ms.toString());
                assertEquals(3, ms.get("quality").size());
                List<Double> scores = new ArrayList<>();
                ms.get("quality").forEach(q -> scores.add(q.at("/take/score").asDouble()));
                for (int i = 1; i < scores.size(); i++) {
                    assertTrue(scores.get(i - 1) >= scores.get(i), "best first: " + scores);
                }
                assertEquals(40_000, mp.chargeMicroUsd(), "4 s at $0.01");
            }
        }
    }

    @Test
    void falGetsEachModelUnderItsOwnNamesAtItsOwnApp() throws Exception {
        try (var fal = new FalEmulator("fal-key")) {
            fal.script(realistic()).latency(Op.SUBMIT, () -> Duration.ofMillis(ThreadLocalRandom.current().nextLong(100, 500)))
                    .filesFrom(name -> stereo44k6s);
            Map<String, String> env = new HashMap<>(Map.of("FOLEY_PROVIDER", "fal", "FAL_KEY", "fal-key", "FAL_BASE_URL", fal.baseUrl(),
                    "FAL_JWKS_URL", fal.jwksUrl(), "FOLEY_STRICT_URLS", "false"));
            try (RunningStack stack = RunningStack.start("fal-models", env, all -> Moto.providers(all), false)
                    .withMedia(dir.resolve("media-fal")).withPollers(1)) {
                String video = media.fileUrl("6s.mp4");
                String h = stack.submit("/api/v3/" + Models.HUNYUAN_FOLEY.id(), "{\"video\":\"" + video
                        + "\",\"prompt\":\"a person walks on frozen ice\",\"seed\":3}", null).get("id").asText();
                done(stack, h);
                var hb = fal.requests(Op.SUBMIT).get(0);
                assertEquals("/fal-ai/hunyuan-video-foley", hb.path());
                assertEquals(video, hb.json().get("video_url").asText());
                assertEquals("a person walks on frozen ice", hb.json().get("text_prompt").asText());
                assertFalse(hb.json().has("prompt") || hb.json().has("video"), hb.json().toString());
                assertEquals(4.5, hb.json().get("guidance_scale").asDouble());

                String k = stack.submit("/api/v3/" + Models.KLING.id(), "{\"video\":\"" + video
                        + "\",\"sound_effect_prompt\":\"engine\",\"bgm_prompt\":\"synthwave\"}", null).get("id").asText();
                Prediction kp = done(stack, k);
                var kb = fal.requests(Op.SUBMIT).get(1);
                assertEquals("/fal-ai/kling-video/video-to-audio", kb.path());
                assertEquals("synthwave", kb.json().get("background_music_prompt").asText());
                assertEquals("engine", kb.json().get("sound_effect_prompt").asText());
                assertTrue(fal.requests(Op.STATUS).stream().anyMatch(r -> r.path().startsWith("/fal-ai/kling-video/requests/")),
                        "the queue's own URLs are followed");
                assertEquals(35_000, kp.chargeMicroUsd());
                assertEquals(1, stack.result(k).get("outputs").size(), "the video with its sound (its MP3 beside it is the same take)");
            }
        }
    }

    @Test
    void badInputNamesTheModelsOwnFieldsAndStoresNothing() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key"); RunningStack stack = wavespeed(emu, "bad-models")) {
            String video = media.fileUrl("6s.mp4");
            var r = stack.post("/api/v3/" + Models.KLING.id(), "{\"video\":\"" + video + "\",\"prompt\":\"glass\"}");
            assertEquals(400, r.getKey());
            assertTrue(r.getValue().toString().contains("\"prompt") && r.getValue().toString().contains("sound_effect_prompt"), r.getValue().toString());
            r = stack.post("/api/v3/" + Models.HUNYUAN_FOLEY.id(), "{\"video\":\"" + video + "\",\"prompt\":\"p\",\"guidance_scale\":11}");
            assertEquals(400, r.getKey());
            assertTrue(r.getValue().toString().contains("guidance_scale") && r.getValue().toString().contains("between 1 and 10"), r.getValue().toString());
            r = stack.post("/api/v3/" + Models.HUNYUAN_FOLEY.id(), "{\"video\":\"" + video + "\"}");
            assertEquals(400, r.getKey(), "its prompt is required");
            assertTrue(r.getValue().toString().contains("prompt"), r.getValue().toString());
            r = stack.post("/api/v3/" + Models.MIRELO_SFX.id(), "{\"video\":\"" + video + "\",\"num_samples\":9,\"duration\":11}");
            assertEquals(400, r.getKey());
            assertTrue(r.getValue().toString().contains("num_samples") && r.getValue().toString().contains("between 1 and 8")
                    && r.getValue().toString().contains("duration"), r.getValue().toString());
            r = stack.post("/api/v3/" + Models.KLING.id(), "{\"video\":\"" + video + "\",\"sound_effect_prompt\":\"" + "x".repeat(201) + "\"}");
            assertEquals(400, r.getKey());
            assertTrue(r.getValue().toString().contains("at most 200"), r.getValue().toString());
            r = stack.post("/api/v3/foley/hunyuan-video-foley-long", "{\"video\":\"" + video + "\",\"prompt\":\"p\",\"window_seconds\":16}");
            assertEquals(400, r.getKey());
            assertTrue(r.getValue().toString().contains("window_seconds") && r.getValue().toString().contains("between 4 and 15"), r.getValue().toString());
            r = stack.post("/api/v3/foley/kling-video-to-audio-long", "{\"video\":\"" + video + "\",\"window_seconds\":2}");
            assertEquals(400, r.getKey());
            assertTrue(r.getValue().toString().contains("between 3 and 20"), r.getValue().toString());
            assertEquals(0, emu.requests(Op.SUBMIT).size(), "nothing reached the provider");
            assertEquals(0, stack.list().get("items").size(), "nothing was stored: " + stack.list());
        }
    }

    @Test
    void theLongPathWindowsWithinEachModelsLimitsAndAStereo48kModelStaysStereo48kThroughAJoin() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key")) {
            emu.filesFrom(name -> currentOutput[0]);
            try (RunningStack stack = wavespeed(emu, "long-models")) {
                // HunyuanVideo-Foley: windows of up to 15 s; 40 s in 15 s windows overlapping 1 s.
                currentOutput[0] = stereo48k15s;
                String h = stack.submit("/api/v3/foley/hunyuan-video-foley-long", "{\"video\":\"" + media.fileUrl("40s.mp4")
                        + "\",\"prompt\":\"footsteps\",\"window_seconds\":15,\"output_format\":\"wav\"}", null).get("id").asText();
                Prediction hp = done(stack, h);
                assertEquals(dev.foley.prediction.Windows.plan(40, 15, 1).size(), hp.windows().total());
                for (var req : emu.requests(Op.SUBMIT)) {
                    assertEquals("/api/v3/wavespeed-ai/hunyuan-video-foley", req.path());
                    assertFalse(req.json().has("duration"), "the window's clip is its length: " + req.json());
                }
                assertEquals(400_000, hp.chargeMicroUsd(), "40 s at $0.01");
                Path out = dir.resolve(h + ".wav");
                RunningStack.download(stack.result(h).get("outputs").get(0).asText(), out);
                Channels c = channels(out);
                assertEquals(48_000, c.rate(), "the model's own rate");
                assertEquals(2, c.channels(), "the model's own channels");
                assertEquals(1 / 0.7, c.ratio(), 0.1, "the stereo image kept (a fold to mono would be 1.0): " + java.util.Arrays.toString(c.rms()));

                // Kling: windows of at least 3 s; 12 s in 3 s windows overlapping 0.5 s; $0.035 per window.
                currentOutput[0] = stereo44k4s;
                int before = emu.requests(Op.SUBMIT).size();
                String k = stack.submit("/api/v3/foley/kling-video-to-audio-long", "{\"video\":\"" + media.fileUrl("12s.mp4")
                        + "\",\"sound_effect_prompt\":\"bounces\",\"window_seconds\":3,\"overlap_seconds\":0.5}", null).get("id").asText();
                Prediction kp = done(stack, k);
                int windows = dev.foley.prediction.Windows.plan(12, 3, 0.5).size();
                assertEquals(windows, kp.windows().total());
                assertEquals(windows, emu.requests(Op.SUBMIT).size() - before);
                assertEquals(windows * 35_000L, kp.chargeMicroUsd(), "per window: each is a request to the model");
                assertEquals("foley/kling-video-to-audio-long", stack.result(k).get("model").asText());
            }
        }
    }

    static final byte[][] currentOutput = new byte[1][];

    /** Foley's takes on a model beside MMAudio: each take its own job with its own seed, checked, best first, each charged. */
    @Test
    void takesWorkForAnotherModelEachChargedAtItsPrice() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key")) {
            emu.filesFrom(name -> stereo48k6s);
            try (RunningStack stack = wavespeed(emu, "takes-models")) {
                String h = stack.submit("/api/v3/" + Models.HUNYUAN_FOLEY.id(), "{\"video\":\"" + media.fileUrl("6s.mp4")
                        + "\",\"prompt\":\"bounces\",\"seed\":21,\"num_samples\":2}", null).get("id").asText();
                Prediction p = done(stack, h);
                var submits = emu.requests(Op.SUBMIT);
                assertEquals(2, submits.size(), "one job per take");
                assertEquals(java.util.Set.of(21, dev.foley.prediction.Windows.seedOf(21, 1)),
                        java.util.Set.of(submits.get(0).json().get("seed").asInt(), submits.get(1).json().get("seed").asInt()),
                        "take 1 keeps the request's seed; take 2 derives its own");
                JsonNode shown = stack.result(h);
                assertEquals(2, shown.get("outputs").size());
                assertEquals(2, shown.get("takes").size(), shown.toString());
                assertEquals(120_000, p.chargeMicroUsd(), "two takes of the 6 s it made, at $0.01");
            }
        }
    }

    @Test
    void aStereo48kModelStaysStereo48kThroughMix() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key")) {
            emu.filesFrom(name -> stereo48k6s);
            try (RunningStack stack = wavespeed(emu, "mix-48k")) {
                String h = stack.submit("/api/v3/" + Models.HUNYUAN_FOLEY.id(), "{\"video\":\"" + media.fileUrl("6s.mp4")
                        + "\",\"prompt\":\"bounces\",\"original_audio\":\"mix\",\"original_audio_level\":0.2,\"output_format\":\"wav\"}",
                        null).get("id").asText();
                done(stack, h);
                Path out = dir.resolve(h + "-mix.wav");
                RunningStack.download(stack.result(h).get("outputs").get(0).asText(), out);
                Channels c = channels(out);
                assertEquals(48_000, c.rate());
                assertEquals(2, c.channels());
                // Left minus right is the model's own difference between its channels (0.3 of its left): 0 had it been folded to mono.
                assertTrue(c.side() > 0.001, "the model's stereo image is still there under the clip's own (mono) sound: side "
                        + c.side() + ", channels " + java.util.Arrays.toString(c.rms()));
            }
        }
    }
}
