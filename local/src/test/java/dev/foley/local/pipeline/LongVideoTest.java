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
 * The long model end to end through the offline generator: a 45 s clip (past the hosted 30 s cap)
 * with impacts at known, irregular times, some inside the windows' overlaps and crossfades, comes
 * back as one video of its own length with one hit at every impact and no seam at the joins.
 */
@ExtendWith(Moto.class)
class LongVideoTest {

    /**
     * Irregular impacts (1.2 to 2.3 s apart); 7.4, 14.3, 21.6, 28.2, 35.6 and 40.2 s fall inside the
     * crossfades (7–8, 14–15, 21–22, 28–29, 35–36, 39.5–40.5 s), 37.2 s just after the last window's start.
     */
    static final double[] IMPACTS = {0.9, 2.6, 4.1, 5.8, 7.4, 9.1, 10.6, 12.5, 14.3, 15.9, 17.4, 19.3, 21.6, 23.2, 24.7,
        26.6, 28.2, 29.9, 31.5, 33.3, 35.6, 37.2, 39.0, 40.2, 41.9, 43.4, 44.6};

    @TempDir
    static Path dir;
    static MediaServer media;
    static RunningStack stack;

    @BeforeAll
    static void start() throws Exception {
        Clips.bounce(dir.resolve("long.mp4"), 320, 240, 24, 45, IMPACTS, 0, 0);
        for (String f : new String[] {"truncated.mp4", "not-a-video.mp4"}) {
            Files.copy(Moto.projectRoot().resolve("local/src/test/resources/media/" + f), dir.resolve(f));
        }
        // Past the limit: 601 s (tiny, 2 fps); a sound file posing as a video.
        Clips.bounce(dir.resolve("too-long.mp4"), 64, 48, 2, 601, new double[] {1}, 0, 0);
        dev.foley.media.Ffmpeg.encode(new float[44_100 * 2], 44_100, "m4a", dir.resolve("sound-only.mp4"));
        media = new MediaServer().serving(dir);
        stack = RunningStack.offline("long", dir);
    }

    @AfterAll
    static void stop() throws Exception {
        stack.close();
        media.close();
    }

    @Test
    void aBrokenTooLongOrPictureLessVideoFailsWithAPlainReasonAndCostsNothing() throws Exception {
        Map<String, String> expected = Map.of(
                "truncated.mp4", "video: no frame could be decoded (a truncated or corrupt file)",
                "not-a-video.mp4", "video: not a media file FFmpeg can read (corrupt, truncated, or not a video)",
                "sound-only.mp4", "video: the file has only a sound track; the model needs a picture",
                "too-long.mp4", "video: the clip is 601.0 s long; foley/mmaudio-v2-long takes at most 600 s (set duration to cover part of it)",
                "missing.mp4", "video: the URL answered HTTP 404",
                "huge", "video: larger than 4 GB, more than the media function takes");
        for (var e : expected.entrySet()) {
            String url = e.getKey().equals("huge") ? media.hugeUrl() : media.fileUrl(e.getKey());
            String id = stack.submit(FoleyApi.SUBMIT_LONG, "{\"video\":\"" + url + "\",\"prompt\":\"x\"}", null)
                    .get("id").asText();
            Prediction p = stack.await(id, q -> q.phase().terminal(), Duration.ofMinutes(1));
            assertEquals(Phase.FAILED, p.phase(), e.getKey());
            assertEquals(e.getValue(), p.error(), e.getKey());
            assertEquals(0, p.chargeMicroUsd());
            assertTrue(stack.foley.predictions().windowsOf(id).isEmpty(), "nothing went to the provider");
        }
        // With a duration, a long file is fine: only that much is covered and charged.
        String id = stack.submit(FoleyApi.SUBMIT_LONG, "{\"video\":\"" + media.fileUrl("too-long.mp4") + "\",\"prompt\":\"x\",\"duration\":12}",
                null).get("id").asText();
        Prediction p = stack.await(id, q -> q.phase().terminal(), Duration.ofMinutes(2));
        assertEquals(Phase.COMPLETED, p.phase(), p.error());
        assertEquals(12_000, p.chargeMicroUsd());
    }

    @Test
    void aLongClipComesBackWholeWithAHitAtEveryImpactAndNoSeam() throws Exception {
        JsonNode data = stack.submit(FoleyApi.SUBMIT_LONG, "{\"video\":\"" + media.fileUrl("long.mp4")
                + "\",\"prompt\":\"a rubber ball bouncing on a wooden floor\",\"seed\":11}", null);
        assertEquals("foley/mmaudio-v2-long", data.get("model").asText());
        String id = data.get("id").asText();
        Prediction p = stack.await(id, q -> q.phase().terminal(), Duration.ofMinutes(4));
        assertEquals(Phase.COMPLETED, p.phase(), p.error());
        assertEquals(45, p.chargeMicroUsd() / 1000, "charged once, for the 45 s the sound covers");
        assertEquals(7, p.windows().total());
        JsonNode shown = stack.result(id);
        assertEquals(7, shown.at("/progress/windows_done").asInt());
        assertEquals(7, shown.at("/progress/windows_total").asInt());

        Path out = dir.resolve("result.mp4");
        stack.download(shown.get("outputs").get(0).asText(), out);
        AudioProbe probe = AudioProbe.of(out);
        assertTrue(probe.hasVideo());
        assertEquals("h264", probe.videoCodec(), "the picture is the original's, copied");
        assertEquals(45.0, probe.audioSeconds(), 0.05, "the sound covers the whole video");
        assertEquals(45.0, probe.videoSeconds(), 0.05);

        List<Double> onsets = probe.onsets();
        for (double impact : IMPACTS) {
            long near = onsets.stream().filter(t -> Math.abs(t - impact) <= 0.150).count();
            assertEquals(1, near, "one hit near the impact at " + impact + " s (none missing, none doubled); onsets " + onsets);
            assertTrue(onsets.stream().anyMatch(t -> Math.abs(t - impact) <= 0.080), "a hit within 80 ms of " + impact + " s: " + onsets);
        }
        for (double t : onsets) {
            assertTrue(java.util.Arrays.stream(IMPACTS).anyMatch(i -> Math.abs(t - i) <= 0.150),
                    "an onset at " + t + " s matches no impact: a click at a join? onsets " + onsets);
        }
        // No gap at a join: the level across each crossfade stays near the level around it.
        List<Windows.Window> cut = Windows.plan(45, 8, 1);
        float[] x = probe.samples();
        int rate = probe.sampleRate();
        for (int i = 0; i + 1 < cut.size(); i++) {
            double mid = (cut.get(i + 1).start() + cut.get(i).end()) / 2;
            double across = dev.foley.media.Sound.levelDb(x, (int) ((mid - 0.5) * rate), (int) ((mid + 0.5) * rate));
            double around = dev.foley.media.Sound.levelDb(x, (int) ((mid - 3) * rate), (int) (Math.min(45, mid + 3) * rate));
            assertTrue(across > around - 6, "the join at " + mid + " s dips to " + across + " dB against " + around + " dB around it");
        }
    }
}
