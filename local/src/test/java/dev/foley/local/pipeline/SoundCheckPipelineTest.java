package dev.foley.local.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.api.FoleyApi;
import dev.foley.local.Moto;
import dev.foley.local.bench.Clips;
import dev.foley.local.generator.MediaServer;
import dev.foley.media.Ffmpeg;
import dev.foley.media.FfmpegEbur128;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sound check and a loudness target through the API, on the offline generator with the media
 * function's work: a 10 s clip made here ({@link Clips#bounce}) with impacts at irregular times,
 * so one lag lines the sound up; the generator puts a hit at each motion onset, so its sound is in
 * sync with the picture. What {@code data.quality} says is checked against that truth, and the
 * loudness it reports against FFmpeg's own {@code ebur128} on the downloaded file.
 */
@ExtendWith(Moto.class)
class SoundCheckPipelineTest {

    static final double[] IMPACTS = {0.8, 1.5, 2.9, 3.3, 4.7, 5.6, 6.0, 7.4, 8.1, 9.3};

    @TempDir
    static Path dir;
    static MediaServer media;
    static RunningStack stack;

    @BeforeAll
    static void start() throws Exception {
        Clips.bounce(dir.resolve("hits.mp4"), 160, 120, 25, 10, IMPACTS, 0, 0);
        media = new MediaServer().serving(dir);
        stack = RunningStack.offline("soundcheck", dir);
    }

    @AfterAll
    static void stop() throws Exception {
        stack.close();
        media.close();
    }

    JsonNode run(String path, String extra) throws Exception {
        JsonNode data = stack.submit(path, "{\"video\":\"" + media.fileUrl("hits.mp4") + "\",\"prompt\":\"a rubber ball bouncing on a wooden floor\""
                + (path.equals(FoleyApi.SUBMIT_LONG) ? "" : ",\"duration\":10") + ",\"seed\":4" + extra + "}", null);
        Prediction p = stack.await(data.get("id").asText(), q -> q.phase().terminal(), Duration.ofMinutes(3));
        assertEquals(Phase.COMPLETED, p.phase(), p.error());
        return stack.result(p.id());
    }

    @Test
    void aResultMadeByTheMediaStepIsCheckedAndBroughtToItsLoudnessTarget() throws Exception {
        JsonNode shown = run(FoleyApi.SUBMIT_VIDEO, ",\"output_format\":\"wav\",\"loudness_lufs\":-16");
        JsonNode q = shown.get("quality");
        assertNotNull(q, shown.toString());
        assertEquals(1, q.size(), "one entry per output");
        JsonNode sync = q.get(0).get("sync");
        assertTrue(sync.get("offset_ms").isNumber(), sync.toString());
        assertEquals(0, sync.get("offset_ms").asDouble(), 60, "the generator's hits land on the impacts: " + sync);
        assertTrue(sync.get("confidence").asDouble() >= 0.5, "irregular impacts line up at one lag only: " + sync);
        assertEquals(-16, q.get(0).at("/loudness/target_lufs").asDouble());
        Path out = dir.resolve("result.wav");
        RunningStack.download(shown.get("outputs").get(0).asText(), out);
        FfmpegEbur128.Reading ref = FfmpegEbur128.measure(Ffmpeg.audio(out, 44_100), 44_100);
        assertEquals(-16, ref.integratedLufs(), 1.0, "the file meets the target, as FFmpeg measures it");
        assertEquals(ref.integratedLufs(), q.get(0).at("/loudness/integrated_lufs").asDouble(), 0.3, "and the report says what it measured");
        assertTrue(ref.truePeakDbtp() <= -1 + 0.05, "true peak " + ref.truePeakDbtp());
        assertFalse(q.get(0).get("flags").toString().contains("loudness_target_missed"), q.toString());
    }

    @Test
    void theLongModelsJoinIsCheckedAsOneResult() throws Exception {
        JsonNode q = run(FoleyApi.SUBMIT_LONG, ",\"window_seconds\":4,\"output_format\":\"flac\"").get("quality");
        assertNotNull(q);
        assertEquals(0, q.get(0).at("/sync/offset_ms").asDouble(), 60, q.toString());
        assertTrue(q.get(0).at("/loudness/integrated_lufs").isNumber(), q.toString());
    }

    @Test
    void aPlainRequestIsCheckedByDefaultItsOutputKeptAsTheModelMadeIt() throws Exception {
        JsonNode shown = run(FoleyApi.SUBMIT_VIDEO, "");
        JsonNode q = shown.get("quality");
        assertNotNull(q, "checked by default: " + shown);
        assertEquals(0, q.get(0).at("/sync/offset_ms").asDouble(), 60, q.toString());
        assertTrue(q.get(0).at("/sync/confidence").asDouble() >= 0.5, q.toString());
        assertTrue(shown.get("outputs").get(0).asText().contains(".mp4"), "the model's own file, as it made it");
    }

    @Test
    void soundCheckFalseSkipsIt() throws Exception {
        assertNull(run(FoleyApi.SUBMIT_VIDEO, ",\"output_format\":\"wav\",\"sound_check\":false").get("quality"));
        assertNull(run(FoleyApi.SUBMIT_VIDEO, ",\"sound_check\":false").get("quality"), "the hosted behaviour: no extra step");
    }

    @Test
    void badValuesAreRefusedNamingTheField() {
        var r = dev.foley.local.Lambdas.api(stack.api, dev.foley.local.ApiEvents.authed(RunningStack.KEY, "POST", FoleyApi.SUBMIT_VIDEO,
                "{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"x\",\"loudness_lufs\":-3,\"true_peak_dbtp\":0.5,"
                        + "\"sound_check\":\"yes\"}"));
        assertEquals(400, r.getStatusCode());
        String m = dev.foley.json.Json.parse(r.getBody()).get("message").asText();
        assertTrue(m.contains("loudness_lufs: must be a number between -30 and -5, got -3"), m);
        assertTrue(m.contains("true_peak_dbtp: must be a number between -9 and 0, got 0.5"), m);
        assertTrue(m.contains("sound_check: must be true or false"), m);
        for (String[] c : new String[][] {
                {FoleyApi.SUBMIT_VIDEO, "\"num_samples\":5", "num_samples: must be an integer between 1 and 4, got 5"},
                {FoleyApi.SUBMIT_VIDEO, "\"num_samples\":2.5", "num_samples: must be an integer between 1 and 4, got 2.5"},
                {FoleyApi.SUBMIT_LONG, "\"num_samples\":0", "num_samples: must be an integer between 1 and 4, got 0"},
                {FoleyApi.SUBMIT_VIDEO, "\"num_samples\":2,\"sound_check\":false", "num_samples: takes are ranked by their sound check"}}) {
            var bad = dev.foley.local.Lambdas.api(stack.api, dev.foley.local.ApiEvents.authed(RunningStack.KEY, "POST", c[0],
                    "{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"x\"," + c[1] + "}"));
            assertEquals(400, bad.getStatusCode(), c[1]);
            assertTrue(bad.getBody().contains(c[2]), bad.getBody());
        }
    }
}
