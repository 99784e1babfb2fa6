package dev.foley.local.pipeline;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.api.FoleyApi;
import dev.foley.local.Moto;
import dev.foley.local.bench.Clips;
import dev.foley.local.generator.AudioProbe;
import dev.foley.local.generator.MediaServer;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The clip's own sound and the result's format, through the offline generator and the media
 * function's code: a clip whose own track is a steady 440 Hz tone keeps it under {@code mix} and
 * {@code duck} and loses it under {@code replace}; every format comes back as what it says,
 * checked by decoding the file.
 */
@ExtendWith(Moto.class)
class OriginalSoundAndFormatsTest {

    @TempDir
    static Path dir;
    static MediaServer media;
    static RunningStack stack;

    @BeforeAll
    static void start() throws Exception {
        double[] impacts = {0.5, 1.7, 2.6, 3.9, 5.2};
        Clips.bounce(dir.resolve("tone.mp4"), 320, 240, 25, 6, impacts, 440, 0.3);
        Clips.bounce(dir.resolve("silent.mp4"), 320, 240, 25, 6, impacts, 0, 0);
        Clips.bounce(dir.resolve("tone-long.mp4"), 320, 240, 25, 33, new double[] {1.5, 9.5, 17.5, 25.5, 31.5}, 440, 0.3);
        // VP8 and Opus in WebM: a picture MP4 cannot carry, a sound from the web.
        Clips.bounce(dir.resolve("tone.webm"), new Clips.Codecs("webm", "libvpx", AV_PIX_FMT_YUV420P,
                Map.of("deadline", "realtime", "cpu-used", "8"), "libopus", 48_000), 320, 240, 25, 6, impacts, 440, 0.3);
        // MPEG-4 and VBR MP3 in AVI: the container's length is an estimate from the MP3's bit rate, far off.
        Clips.bounce(dir.resolve("tone-long.avi"), new Clips.Codecs("avi", "mpeg4", AV_PIX_FMT_YUV420P, Map.of(), "libmp3lame", 44_100),
                320, 240, 25, 33, new double[] {1.5, 9.5, 17.5, 25.5, 31.5}, 440, 0.3);
        // Stereo: 440 Hz on the left, 660 Hz on the right.
        Clips.bounce(dir.resolve("stereo.mp4"), Clips.Codecs.MP4, 320, 240, 25, 6, impacts, new double[] {440, 660}, 0.3);
        // FFV1 (a lossless archive codec) with its sound in PCM: a picture Foley does not read.
        Clips.bounce(dir.resolve("archive.mkv"), new Clips.Codecs("matroska", "ffv1", AV_PIX_FMT_YUV420P, Map.of(), "pcm_s16le", 44_100),
                160, 120, 25, 6, impacts, 440, 0.3);
        media = new MediaServer().serving(dir);
        stack = RunningStack.offline("sound", dir);
    }

    @AfterAll
    static void stop() throws Exception {
        stack.close();
        media.close();
    }

    /** Runs one prediction to completion and decodes its output. */
    AudioProbe run(String path, String body, String name) throws Exception {
        JsonNode data = stack.submit(path, body, null);
        Prediction p = stack.await(data.get("id").asText(), q -> q.phase().terminal(), Duration.ofMinutes(3));
        assertEquals(Phase.COMPLETED, p.phase(), p.error());
        JsonNode shown = stack.result(p.id());
        Path out = dir.resolve(name);
        RunningStack.download(shown.get("outputs").get(0).asText(), out);
        assertTrue(shown.get("outputs").get(0).asText().contains(name.substring(name.lastIndexOf('.'))), "the link names the format");
        return AudioProbe.of(out);
    }

    static String video(String file, String extra) {
        return "{\"video\":\"" + media.fileUrl(file) + "\",\"prompt\":\"a ball bouncing on a wooden floor\",\"duration\":6,\"seed\":5"
                + extra + "}";
    }

    /** The tone's level relative to the whole signal (Goertzel at 440 Hz over the middle seconds), in dB. */
    static double toneShare(AudioProbe p) {
        return share(p.samples(), p.sampleRate(), 440);
    }

    @Test
    void mixAndDuckKeepTheClipsToneAndReplaceDropsIt() throws Exception {
        double replace = toneShare(run(FoleyApi.SUBMIT_VIDEO, video("tone.mp4", ""), "replace.mp4"));
        double mix = toneShare(run(FoleyApi.SUBMIT_VIDEO, video("tone.mp4", ",\"original_audio\":\"mix\""), "mix.mp4"));
        double duck = toneShare(run(FoleyApi.SUBMIT_VIDEO, video("tone.mp4", ",\"original_audio\":\"duck\""), "duck.mp4"));
        assertTrue(replace < -20, "replace: the tone is gone (" + replace + " dB of the signal)");
        assertTrue(mix > -6, "mix: the tone is kept (" + mix + " dB of the signal)");
        assertTrue(duck > mix, "duck: the tone is in front, the new sound lowered under it (" + duck + " dB against mix's " + mix + ")");
        double quiet = toneShare(run(FoleyApi.SUBMIT_VIDEO, video("tone.mp4", ",\"original_audio\":\"mix\",\"original_audio_level\":0.1"),
                "quiet.mp4"));
        assertTrue(quiet < mix - 10, "original_audio_level lowers the original (" + quiet + " dB against " + mix + ")");
        // A clip without a sound track behaves as replace.
        AudioProbe silent = run(FoleyApi.SUBMIT_VIDEO, video("silent.mp4", ",\"original_audio\":\"duck\""), "silent.mp4");
        assertTrue(toneShare(silent) < -20);
        assertEquals(6.0, silent.audioSeconds(), 0.05);
    }

    @Test
    void theLongModelDucksUnderTheClipsOwnSoundToo() throws Exception {
        AudioProbe p = run(FoleyApi.SUBMIT_LONG, "{\"video\":\"" + media.fileUrl("tone-long.mp4")
                + "\",\"prompt\":\"footsteps\",\"original_audio\":\"duck\"}", "long-duck.mp4");
        assertEquals(33.0, p.audioSeconds(), 0.05);
        assertTrue(toneShare(p) > -6, "the clip's tone is kept: " + toneShare(p));
    }

    @Test
    void aWebmClipKeepsItsSoundAndComesBackAsAnMp4() throws Exception {
        AudioProbe p = run(FoleyApi.SUBMIT_VIDEO, video("tone.webm", ",\"original_audio\":\"mix\""), "webm-mix.mp4");
        assertEquals("h264", p.videoCodec(), "VP8 has no place in MP4: its picture is re-encoded as H.264");
        assertEquals("aac", p.audioCodec());
        assertEquals(6.0, p.audioSeconds(), 0.06);
        assertTrue(toneShare(p) > -6, "the clip's Opus tone is kept: " + toneShare(p));
    }

    @Test
    void theLongModelTakesThePicturesLengthNotTheContainersEstimate() throws Exception {
        double claimed = dev.foley.media.Ffmpeg.probe(dir.resolve("tone-long.avi")).seconds();
        AudioProbe p = run(FoleyApi.SUBMIT_LONG, "{\"video\":\"" + media.fileUrl("tone-long.avi")
                + "\",\"prompt\":\"footsteps\",\"original_audio\":\"mix\"}", "long-avi.mp4");
        assertEquals(33.0, claimed, 0.05, "the probe reads the picture's own length");
        assertEquals("mpeg4", p.videoCodec(), "the picture copied");
        assertEquals(33.0, p.audioSeconds(), 0.06);
        assertTrue(toneShare(p) > -6, "the clip's MP3 tone is kept: " + toneShare(p));
    }

    @Test
    void aPictureFoleyDoesNotReadFailsWithAPlainReasonAndCostsNothing() throws Exception {
        // The long model must decode the picture to cut it (the short one copies a picture MP4 can carry, never decoding it).
        JsonNode data = stack.submit(FoleyApi.SUBMIT_LONG, "{\"video\":\"" + media.fileUrl("archive.mkv") + "\",\"prompt\":\"x\"}", null);
        Prediction p = stack.await(data.get("id").asText(), q -> q.phase().terminal(), Duration.ofMinutes(3));
        assertEquals(Phase.FAILED, p.phase());
        assertTrue(p.error().startsWith("video: its picture is coded as ffv1, which Foley does not read (it reads h264, hevc, av1, "),
                p.error());
        assertEquals(0, p.chargeMicroUsd());
    }

    @ParameterizedTest
    @CsvSource({"mix,mp4", "duck,wav"})
    void theClipsStereoImageIsKept(String mode, String format) throws Exception {
        AudioProbe mono = run(FoleyApi.SUBMIT_VIDEO, video("stereo.mp4", ",\"output_format\":\"" + format + "\""), "stereo-replace." + format);
        assertEquals(1, channels(dir.resolve("stereo-replace." + format)).length, "replace: the model's sound, mono");
        assertTrue(mono.audioSeconds() > 5.9);
        run(FoleyApi.SUBMIT_VIDEO, video("stereo.mp4", ",\"original_audio\":\"" + mode + "\",\"output_format\":\"" + format + "\""),
                "stereo-" + mode + "." + format);
        float[][] ch = channels(dir.resolve("stereo-" + mode + "." + format));
        assertEquals(2, ch.length, mode + ": the clip's two channels");
        double leftA = share(ch[0], 44_100, 440), leftE = share(ch[0], 44_100, 660);
        double rightA = share(ch[1], 44_100, 440), rightE = share(ch[1], 44_100, 660);
        assertTrue(leftA > -10 && leftE < -25, mode + ": the left keeps its 440 Hz and only it (" + leftA + ", " + leftE + " dB)");
        assertTrue(rightE > -10 && rightA < -25, mode + ": the right keeps its 660 Hz and only it (" + rightE + ", " + rightA + " dB)");
    }

    /** Each channel of a file's sound, decoded. */
    static float[][] channels(Path file) throws Exception {
        try (var g = new org.bytedeco.javacv.FFmpegFrameGrabber(file.toFile())) {
            g.setSampleFormat(org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_FLTP);
            g.start();
            int n = g.getAudioChannels();
            List<List<float[]>> parts = new java.util.ArrayList<>();
            for (int c = 0; c < n; c++) {
                parts.add(new java.util.ArrayList<>());
            }
            org.bytedeco.javacv.Frame f;
            while ((f = g.grabSamples()) != null) {
                for (int c = 0; c < n; c++) {
                    var b = (java.nio.FloatBuffer) f.samples[c];
                    float[] x = new float[b.remaining()];
                    b.get(x);
                    parts.get(c).add(x);
                }
            }
            float[][] out = new float[n][];
            for (int c = 0; c < n; c++) {
                out[c] = new float[parts.get(c).stream().mapToInt(x -> x.length).sum()];
                int off = 0;
                for (float[] x : parts.get(c)) {
                    System.arraycopy(x, 0, out[c], off, x.length);
                    off += x.length;
                }
            }
            return out;
        }
    }

    /** A tone's share of a channel (Goertzel over seconds 1 to 5), in dB. */
    static double share(float[] x, int rate, double hz) {
        int from = rate, to = Math.min(x.length, 5 * rate);
        double w = 2 * Math.PI * hz / rate;
        double c = 2 * Math.cos(w), s0, s1 = 0, s2 = 0, all = 0;
        for (int i = from; i < to; i++) {
            s0 = x[i] + c * s1 - s2;
            s2 = s1;
            s1 = s0;
            all += x[i] * x[i];
        }
        double power = (s1 * s1 + s2 * s2 - c * s1 * s2) / ((to - from) * (to - from) / 2.0);
        return 10 * Math.log10(power / (all / (to - from)) + 1e-12);
    }

    @ParameterizedTest
    @CsvSource({"mp4,h264,aac", "wav,,pcm_s16le", "flac,,flac", "mp3,,mp3", "m4a,,aac"})
    void everyFormatIsWhatItSays(String format, String videoCodec, String audioCodec) throws Exception {
        AudioProbe p = run(FoleyApi.SUBMIT_VIDEO, video("silent.mp4", ",\"output_format\":\"" + format + "\""), "out." + format);
        assertEquals(videoCodec != null, p.hasVideo(), "an audio format has no picture");
        if (videoCodec != null) {
            assertEquals(videoCodec, p.videoCodec());
        }
        assertTrue(p.audioCodec().startsWith(audioCodec), "decoded by " + p.audioCodec()); // FFmpeg decodes MP3 with mp3float
        assertEquals(6.0, p.audioSeconds(), 0.06);
    }

    @ParameterizedTest
    @CsvSource({"wav,pcm_s16le", "mp3,mp3", "m4a,aac", "flac,flac"})
    void textToAudioComesInEveryAudioFormat(String format, String audioCodec) throws Exception {
        AudioProbe p = run(FoleyApi.SUBMIT_TEXT, "{\"prompt\":\"rain on a tin roof\",\"duration\":4,\"output_format\":\"" + format + "\"}",
                "text." + format);
        assertFalse(p.hasVideo());
        assertTrue(p.audioCodec().startsWith(audioCodec), "decoded by " + p.audioCodec());
        assertEquals(4.0, p.audioSeconds(), 0.06);
    }
}
