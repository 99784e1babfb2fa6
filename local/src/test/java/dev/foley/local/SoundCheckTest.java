package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.local.bench.Clips;
import dev.foley.media.Ffmpeg;
import dev.foley.media.SoundCheck;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sound check's sync on clips whose truth is planted. The picture: a 12 s clip of a square that
 * bounces at irregular times ({@link Clips#bounce}, impacts at {@link #IMPACTS}), and one with no
 * impact at all (an empty list: nothing in it moves abruptly). The sounds: a short noise click at every impact shifted by a
 * planted lag (0, +150 ms, -300 ms), written as FLAC, as a model's output would come; and clicks at
 * random times that have nothing to do with the picture. Every offset is checked against the
 * planted lag and against this test's own cross-correlation of the decoded sound's envelope with
 * the impact times (an independent measure, not SoundCheck's code).
 */
class SoundCheckTest {

    static final double[] IMPACTS = {0.9, 1.6, 2.9, 3.4, 4.8, 5.5, 6.1, 7.7, 8.3, 9.6, 10.2, 11.1};
    static final int RATE = 44_100;

    @TempDir
    static Path dir;
    static Path picture;
    static Path still;

    @BeforeAll
    static void clips() throws Exception {
        picture = Clips.bounce(dir.resolve("bounce.mp4"), 160, 120, 25, 12, IMPACTS, 0, 0);
        still = Clips.bounce(dir.resolve("still.mp4"), 160, 120, 25, 12, new double[0], 0, 0);
    }

    /** Clicks (8 ms decaying noise bursts) at {@code times} shifted by {@code lag}, as FLAC. */
    static Path clicks(String name, double[] times, double lag) throws Exception {
        float[] x = new float[RATE * 12];
        Random r = new Random(7);
        for (double t : times) {
            int at = (int) Math.round((t + lag) * RATE);
            for (int i = 0; i < RATE / 125 && at + i < x.length; i++) {
                if (at + i >= 0) {
                    x[at + i] += (float) (0.6 * Math.exp(-i / (RATE * 0.002)) * (r.nextDouble() * 2 - 1));
                }
            }
        }
        Path out = dir.resolve(name + ".flac");
        Ffmpeg.encode(x, RATE, "flac", out);
        return out;
    }

    /** The test's own measure: the lag (5 ms steps, within 1 s) maximising the decoded envelope summed at the impact times. */
    static double ownLag(Path sound) throws Exception {
        float[] x = Ffmpeg.audio(sound, RATE);
        int hop = RATE / 200;
        double[] env = new double[x.length / hop];
        for (int k = 0; k < env.length; k++) {
            for (int i = k * hop; i < (k + 1) * hop; i++) {
                env[k] = Math.max(env[k], Math.abs(x[i]));
            }
        }
        double bestLag = 0;
        double best = -1;
        for (int lagMs = -1000; lagMs <= 1000; lagMs += 5) {
            double sum = 0;
            for (double t : IMPACTS) {
                int k = (int) Math.round((t + lagMs / 1000.0) * 200);
                if (k >= 0 && k < env.length) {
                    sum += env[k];
                }
            }
            if (sum > best) {
                best = sum;
                bestLag = lagMs;
            }
        }
        return bestLag;
    }

    @Test
    void theOffsetOfEachTakeIsThePlantedLagWithAClearConfidence() throws Exception {
        for (double lag : new double[] {0, 0.150, -0.300}) {
            Path sound = clicks("lag" + Math.round(lag * 1000), IMPACTS, lag);
            SoundCheck c = SoundCheck.of(sound, Optional.of(picture));
            assertNotNull(c.sync().offsetMs(), c.sync().reason());
            assertEquals(lag * 1000, c.sync().offsetMs(), 40, "planted " + lag + " s");
            assertEquals(ownLag(sound), c.sync().offsetMs(), 40, "and the test's own cross-correlation agrees");
            assertTrue(c.sync().confidence() >= SoundCheck.CLEAR, "a clear alignment: " + c.sync().confidence());
            assertFalse(c.flags().contains("silent"));
            assertFalse(c.flags().contains("no_motion"));
        }
    }

    @Test
    void aStaticPictureSaysNoMotionInsteadOfAnOffset() throws Exception {
        SoundCheck c = SoundCheck.of(clicks("static", IMPACTS, 0), Optional.of(still));
        assertNull(c.sync().offsetMs());
        assertNull(c.sync().confidence());
        assertTrue(c.sync().reason().startsWith("no_motion"), c.sync().reason());
        assertTrue(c.flags().contains("no_motion"), c.flags().toString());
    }

    @Test
    void soundThatHasNothingToDoWithThePictureGetsALowConfidence() throws Exception {
        Random r = new Random(11);
        double[] unrelated = new double[40];
        for (int i = 0; i < unrelated.length; i++) {
            unrelated[i] = 0.3 + r.nextDouble() * 11.4;
        }
        java.util.Arrays.sort(unrelated);
        SoundCheck c = SoundCheck.of(clicks("unrelated", unrelated, 0), Optional.of(picture));
        assertNotNull(c.sync().confidence(), c.sync().reason());
        assertTrue(c.sync().confidence() < SoundCheck.CLEAR, "random onsets do not line up clearly: " + c.sync().confidence());
    }

    @Test
    void silenceAndClippingAreFlagged() throws Exception {
        Path silent = dir.resolve("silent.flac");
        Ffmpeg.encode(new float[RATE * 4], RATE, "flac", silent);
        SoundCheck s = SoundCheck.of(silent, Optional.of(picture));
        assertTrue(s.flags().contains("silent"), s.flags().toString());
        assertFalse(s.loudness().measured(), "no number for silence");
        assertTrue(s.flags().contains("no_onsets"), s.flags().toString());
        float[] hot = new float[RATE * 4];
        for (int i = 0; i < hot.length; i++) {
            hot[i] = (float) Math.max(-1, Math.min(1, 1.6 * Math.sin(2 * Math.PI * 220 * i / RATE))); // squared off at full scale
        }
        Path clipped = dir.resolve("clipped.flac");
        Ffmpeg.encode(hot, RATE, "flac", clipped);
        SoundCheck h = SoundCheck.of(clipped, Optional.empty());
        assertTrue(h.flags().contains("clipped"), h.flags().toString());
        assertNull(h.sync(), "no picture, no sync check");
    }

    /** {@code ./foley check}: the same report as a short table and as the API's JSON shape; a bad file is named. */
    @Test
    void theCheckCommandReportsInATableAndAsJson() throws Exception {
        Path sound = clicks("cli", IMPACTS, 0.150);
        var buf = new java.io.ByteArrayOutputStream();
        var ps = new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, FoleyCli.run(new String[] {"check", sound.toString(), "--video", picture.toString()}, ps, ps));
        String table = buf.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(table.matches("(?s).*sync +\\+1[2-9][0-9] ms, confidence 0\\.[0-9]+ \\(clear\\): the sound comes 1[2-9][0-9] ms after the picture.*"), table);
        assertTrue(table.matches("(?s).*loudness +-[0-9.]+ LUFS integrated, true peak -[0-9.]+ dBTP, range [0-9.]+ LU.*"), table);
        buf.reset();
        assertEquals(0, FoleyCli.run(new String[] {"check", sound.toString(), "--video", picture.toString(), "--json"}, ps, ps));
        var json = dev.foley.json.Json.parse(buf.toString(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(150, json.at("/sync/offset_ms").asDouble(), 40);
        assertTrue(json.at("/loudness/integrated_lufs").isNumber());
        assertTrue(json.get("flags").isArray());
        buf.reset();
        assertEquals(2, FoleyCli.run(new String[] {"check", dir.resolve("missing.wav").toString()}, ps, ps));
        assertTrue(buf.toString(java.nio.charset.StandardCharsets.UTF_8).contains("missing.wav: no such file"));
        buf.reset();
        assertEquals(2, FoleyCli.run(new String[] {"check", picture.toString()}, ps, ps));
        assertTrue(buf.toString(java.nio.charset.StandardCharsets.UTF_8).contains("has no sound track to check"));
    }
}
