package dev.foley.media;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.prediction.Windows;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The join and the original sound on tones: pure arithmetic, no FFmpeg. */
class SoundTest {

    static final int RATE = 44_100;

    static float[] sine(double hz, double seconds, double level, double startSeconds) {
        float[] x = new float[(int) Math.round(seconds * RATE)];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (level * Math.sin(2 * Math.PI * hz * (i / (double) RATE + startSeconds)));
        }
        return x;
    }

    /** Level in dB of each 10 ms frame. */
    static double[] frames(float[] x) {
        int hop = RATE / 100;
        double[] out = new double[x.length / hop];
        for (int k = 0; k < out.length; k++) {
            out[k] = Sound.levelDb(x, k * hop, (k + 1) * hop);
        }
        return out;
    }

    @Test
    void anEqualPowerCrossfadeOfIdenticalSinesNeverDipsMoreThanOneDb() {
        List<Windows.Window> plan = Windows.plan(30, 8, 1);
        List<float[]> tracks = new ArrayList<>();
        for (Windows.Window w : plan) {
            tracks.add(sine(440, w.length(), 0.5, w.start())); // the same tone, in phase, in every window
        }
        float[] joined = Sound.join(plan, tracks, RATE, 30 * RATE, 1.0);
        double steady = Sound.levelDb(sine(440, 1, 0.5, 0), 0, RATE);
        double[] f = frames(joined);
        for (int k = 0; k < f.length; k++) {
            assertTrue(f[k] > steady - 1.0, "at " + k * 10 + " ms the level dips to " + f[k] + " dB (steady " + steady + ")");
        }
        assertEquals(30 * RATE, joined.length);
    }

    @Test
    void eachWindowsSoundLandsWhereItsWindowIs() {
        // A click at 3 s of window 1 (which starts at 7 s) is heard at 10 s, once.
        List<Windows.Window> plan = Windows.plan(20, 8, 1);
        List<float[]> tracks = new ArrayList<>();
        for (Windows.Window w : plan) {
            float[] t = new float[(int) (w.length() * RATE)];
            if (w.index() == 1) {
                t[3 * RATE] = 1f;
            }
            tracks.add(t);
        }
        float[] joined = Sound.join(plan, tracks, RATE, 20 * RATE, 1.0);
        int loudest = 0;
        for (int i = 0; i < joined.length; i++) {
            if (Math.abs(joined[i]) > Math.abs(joined[loudest])) {
                loudest = i;
            }
        }
        assertEquals(10 * RATE, loudest);
        assertEquals(1f, joined[loudest], 1e-6);
    }

    @Test
    void aTrackShorterThanItsWindowIsPaddedNotShifted() {
        List<Windows.Window> plan = Windows.plan(10, 8, 1);
        List<float[]> tracks = List.of(sine(100, 7.5, 0.5, 0), sine(100, 8, 0.5, 2));
        float[] joined = Sound.join(plan, tracks, RATE, 10 * RATE, 1.0);
        assertEquals(10 * RATE, joined.length);
        assertTrue(Sound.levelDb(joined, 9 * RATE, 10 * RATE) > -10);
    }

    @Test
    void mixKeepsBothAndDuckLowersTheNewSoundOnlyWhileTheOriginalIsLoud() {
        float[] effects = sine(1000, 4, 0.5, 0);
        float[] original = new float[4 * RATE];
        float[] speech = sine(440, 1, 0.5, 0);
        System.arraycopy(speech, 0, original, 2 * RATE, speech.length); // the original speaks from 2 s to 3 s
        float[] mixed = Sound.mix(effects, original, 1.0);
        float[] ducked = Sound.duck(effects, original, 1.0, RATE);
        double underSpeechMix = Sound.levelDb(minus(mixed, original, 1.0), (int) (2.3 * RATE), (int) (2.9 * RATE));
        double underSpeechDuck = Sound.levelDb(minus(ducked, original, 1.0), (int) (2.3 * RATE), (int) (2.9 * RATE));
        double alone = Sound.levelDb(effects, 0, RATE);
        assertEquals(alone, underSpeechMix, 0.5, "mix leaves the new sound as it is");
        assertTrue(underSpeechDuck < alone - 10, "duck lowers it under the original: " + underSpeechDuck + " vs " + alone);
        assertEquals(alone, Sound.levelDb(ducked, 0, (int) (1.5 * RATE)), 0.5, "and leaves it alone where the original is quiet");
        assertEquals(alone, Sound.levelDb(ducked, (int) (3.6 * RATE), 4 * RATE), 0.5, "it comes back after the original stops");
    }

    @Test
    void stereoKeepsEachSideAndDucksUnderBothTogether() {
        float[] generated = sine(1000, 2, 0.2, 0);
        float[] left = sine(440, 2, 0.5, 0);
        float[] right = new float[left.length];
        System.arraycopy(sine(660, 1, 0.5, 0), 0, right, right.length / 2, right.length / 2); // the right speaks only in the second half
        float[][] mixed = Sound.mix(generated, new float[][] {left, right}, 1.0);
        assertEquals(2, mixed.length);
        for (int i = 0; i < left.length; i += 97) {
            assertEquals(generated[i] + left[i], mixed[0][i], 1e-6, "left: the new sound and the left's own");
            assertEquals(generated[i] + right[i], mixed[1][i], 1e-6, "right: the new sound and the right's own");
        }
        // Ducking follows the level of both channels together: the left is loud all along, so the new
        // sound is lowered all along, and by the same gain on both sides.
        float[][] ducked = Sound.duck(generated, new float[][] {left, right}, 1.0, RATE);
        int mid = RATE / 2 + 11; // a sample where the 1 kHz tone is near its peak (never divide by its zeros)
        double newOnLeft = (ducked[0][mid] - left[mid]) / generated[mid];
        double newOnRight = (ducked[1][mid] - right[mid]) / generated[mid];
        assertEquals(newOnLeft, newOnRight, 1e-3, "one gain for both sides");
        assertEquals(Sound.DUCK_GAIN, newOnLeft, 0.05, "lowered while the original is loud");
    }

    @Test
    void loudStereoIsScaledByOneFactorKeepingTheBalance() {
        float[][] x = {{0.5f, 1.6f}, {0.25f, -0.8f}};
        Sound.limited(x);
        assertEquals(0.99f, x[0][1], 1e-6);
        assertEquals(x[0][0] / 2, x[1][0], 1e-6, "the right keeps half the left's level");
        assertEquals(-x[0][1] / 2, x[1][1], 1e-6);
    }

    @Test
    void aLoudSumIsScaledNotClipped() {
        float[] a = sine(200, 1, 0.9, 0);
        float[] out = Sound.mix(a, a, 1.0);
        float peak = 0;
        for (float v : out) {
            peak = Math.max(peak, Math.abs(v));
        }
        assertTrue(peak <= 0.99f + 1e-6, "peak " + peak);
        assertTrue(peak > 0.98f);
    }

    static float[] minus(float[] x, float[] y, double gain) {
        float[] out = x.clone();
        for (int i = 0; i < out.length && i < y.length; i++) {
            out[i] -= (float) (gain * y[i]);
        }
        return out;
    }

    /** The energy of {@code hz} in {@code x[from, to)} (a single-bin DFT), as a fraction of the samples' own energy. */
    static double share(float[] x, int from, int to, double hz) {
        double re = 0;
        double im = 0;
        double energy = 1e-12;
        for (int i = from; i < to; i++) {
            re += x[i] * Math.cos(2 * Math.PI * hz * i / RATE);
            im += x[i] * Math.sin(2 * Math.PI * hz * i / RATE);
            energy += x[i] * x[i];
        }
        return 2 * (re * re + im * im) / (to - from) / energy;
    }

    @Test
    void atAHardEdgeTheSoundChangesWithinFiftyMillisecondsWithoutAClickOrCarryingOver() {
        // Two shots: 0-10 s (a 220 Hz bed) and 10-20 s (a 1 kHz bed); windows meet at the cut.
        List<Windows.Window> plan = Windows.plan(20, 8, 1, List.of(10.0), 1.0);
        assertTrue(Windows.meetAtEdge(plan, 1), "windows 1 and 2 meet at the cut: " + plan);
        List<float[]> tracks = new ArrayList<>();
        for (Windows.Window w : plan) {
            // The first bed is near its peak at the cut (a hard switch there would be a click).
            tracks.add(sine(w.start() < 10 ? 220 : 1000, w.length() + (w.start() < 10 ? 1.0 : 0), 0.5, w.start() + (w.start() < 10 ? 0.001 : 0)));
        }
        float[] joined = Sound.join(plan, tracks, RATE, 20 * RATE, 1.0);
        int cut = 10 * RATE;
        int ms = RATE / 1000;
        // 25 ms on either side of the cut: only that shot's sound (the first window's track runs 1 s past it, unused).
        assertTrue(share(joined, cut - 1000 * ms, cut - 25 * ms, 220) > 0.95, "before the cut: the first shot's bed");
        assertTrue(share(joined, cut + 25 * ms, cut + 1000 * ms, 1000) > 0.95, "after the cut: the second shot's bed");
        assertTrue(share(joined, cut + 25 * ms, cut + 1000 * ms, 220) < 0.01, "nothing of the first shot carried past the cut");
        // No click: the sample-to-sample step never exceeds what the tones themselves make.
        double maxStep = 0;
        for (int i = cut - 100 * ms; i < cut + 100 * ms; i++) {
            maxStep = Math.max(maxStep, Math.abs(joined[i + 1] - joined[i]));
        }
        double toneStep = 0.5 * 2 * Math.PI * 1000 / RATE;
        assertTrue(maxStep <= toneStep * 1.05, "a step of " + maxStep + " at the cut (the 1 kHz tone's own is " + toneStep + ")");
    }

    @Test
    void aJoinNeverGoesPastFullScaleWhereTwoWindowsHearTheSameLoudSound() {
        // Both windows carry the same loud tone, in phase: the equal-power crossfade would peak at 1.41 x 0.9.
        List<Windows.Window> plan = Windows.plan(15, 8, 1);
        List<float[][]> tracks = new ArrayList<>();
        for (Windows.Window w : plan) {
            tracks.add(new float[][] {sine(440, w.length(), 0.9, w.start())});
        }
        float[][] joined = Sound.joinChannels(plan, tracks, RATE, 15 * RATE, 1.0);
        float peak = 0;
        for (float v : joined[0]) {
            peak = Math.max(peak, Math.abs(v));
        }
        assertTrue(peak <= 0.99f + 1e-6, "peak " + peak);
    }
}
