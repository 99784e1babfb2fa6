package dev.foley.media;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Loudness against planted truth and against FFmpeg's own {@code ebur128} (the stock build's
 * filter, {@link FfmpegEbur128}). The sounds are made here: a 1 kHz sine at a known level (BS.1770
 * reads a full-scale 1 kHz sine in one channel as -3.01 LUFS, so level L dBFS reads L - 3.01),
 * clicks (short transients, where gating and true peak matter), pink-ish noise at two levels, a
 * loud/quiet alternation (for the range), a sine whose inter-sample peaks exceed its samples.
 */
class LoudnessTest {

    static final int RATE = 44_100;

    static float[] sine(double hz, double seconds, double dbfs) {
        double a = Math.pow(10, dbfs / 20);
        float[] x = new float[(int) (seconds * RATE)];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (a * Math.sin(2 * Math.PI * hz * i / RATE));
        }
        return x;
    }

    static float[] clicks(double seconds, double dbfs, long seed) {
        float[] x = new float[(int) (seconds * RATE)];
        Random r = new Random(seed);
        double a = Math.pow(10, dbfs / 20);
        for (double t = 0.2; t < seconds - 0.1; t += 0.3 + r.nextDouble() * 0.5) {
            int at = (int) (t * RATE);
            for (int i = 0; i < RATE / 50 && at + i < x.length; i++) { // 20 ms decaying bursts of noise
                x[at + i] = (float) (a * Math.exp(-i / (RATE * 0.004)) * (r.nextDouble() * 2 - 1));
            }
        }
        return x;
    }

    /** Impacts as a foley model makes them: 80 ms bursts of noise decaying over 20 ms, {@code gap} to twice that apart. */
    static float[] hits(double seconds, double dbfs, double gap, long seed) {
        float[] x = new float[(int) (seconds * RATE)];
        Random r = new Random(seed);
        double a = Math.pow(10, dbfs / 20);
        for (double t = 0.2; t < seconds - 0.2; t += gap + r.nextDouble() * gap) {
            int at = (int) (t * RATE);
            for (int i = 0; i < RATE * 0.08 && at + i < x.length; i++) {
                x[at + i] = (float) (a * Math.exp(-i / (RATE * 0.02)) * (r.nextDouble() * 2 - 1));
            }
        }
        return x;
    }

    static float[] noise(double seconds, double rms, long seed) {
        float[] x = new float[(int) (seconds * RATE)];
        Random r = new Random(seed);
        double b0 = 0;
        double b1 = 0;
        for (int i = 0; i < x.length; i++) {
            double w = r.nextGaussian();
            b0 = 0.99765 * b0 + w * 0.0990460;
            b1 = 0.96300 * b1 + w * 0.2965164;
            x[i] = (float) (rms * (b0 + b1 + w * 0.1848) / 1.5);
        }
        return x;
    }

    @Test
    void aSineOfKnownLevelReadsAsTheStandardSays() {
        for (double level : new double[] {-6, -20, -35}) {
            Loudness l = Loudness.of(new float[][] {sine(1000, 6, level)}, RATE);
            assertEquals(level - 3.01, l.integratedLufs(), 0.1, "a 1 kHz sine at " + level + " dBFS");
            assertEquals(level, l.truePeakDbtp(), 0.1);
            assertEquals(0, l.rangeLu(), 0.2, "a steady tone has no loudness range");
        }
    }

    @Test
    void agreesWithFfmpegsEbur128OnClicksNoiseAndALoudQuietAlternation() {
        float[] alternating = new float[RATE * 20];
        float[] loud = noise(20, 0.2, 3);
        for (int i = 0; i < alternating.length; i++) {
            alternating[i] = (i / (RATE * 5)) % 2 == 0 ? loud[i] : loud[i] * 0.1f; // 5 s loud, 5 s 20 dB quieter
        }
        float[][] cases = {clicks(8, -6, 1), clicks(8, -30, 2), noise(10, 0.05, 4), noise(10, 0.3, 5), alternating,
                sine(440, 3, -12)};
        for (int k = 0; k < cases.length; k++) {
            Loudness mine = Loudness.of(new float[][] {cases[k]}, RATE);
            FfmpegEbur128.Reading ref = FfmpegEbur128.measure(cases[k], RATE);
            assertEquals(ref.integratedLufs(), mine.integratedLufs(), 0.3, "case " + k + ": integrated");
            assertEquals(ref.truePeakDbtp(), mine.truePeakDbtp(), 0.3, "case " + k + ": true peak");
            if (cases[k].length >= 5 * RATE) {
                // Under 5 s FFmpeg's range counts its own 3 s window filling up from silence (a steady
                // 3 s tone reads 20 LU there); the planted truth, 0 LU, is the sine test's.
                assertEquals(ref.rangeLu(), mine.rangeLu(), 1.0, "case " + k + ": range");
            }
        }
    }

    @Test
    void truePeakFindsWhatLiesBetweenSamples() {
        // A tone at a quarter of the rate, phased so every sample misses the crest by 45 degrees:
        // the samples peak 3 dB under the waveform.
        float[] x = new float[RATE * 2];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (0.5 * Math.sin(2 * Math.PI * (RATE / 4.0) * i / RATE + Math.PI / 4));
        }
        Loudness l = Loudness.of(new float[][] {x}, RATE);
        assertEquals(20 * Math.log10(0.5), l.truePeakDbtp(), 0.5, "the crest, not the samples (" + 20 * Math.log10(0.5 * Math.sqrt(0.5)) + ")");
    }

    @Test
    void silenceAndTooShortSayTheyCannotBeMeasured() {
        assertFalse(Loudness.of(new float[][] {new float[RATE * 5]}, RATE).measured(), "digital silence");
        assertFalse(Loudness.of(new float[][] {sine(1000, 0.2, -10)}, RATE).measured(), "shorter than one 400 ms block");
        assertEquals(Double.NEGATIVE_INFINITY, Loudness.of(new float[][] {new float[RATE]}, RATE).truePeakDbtp());
    }

    /**
     * A loudness target on a quiet and a hot input (impacts, the hard case for a limiter; noise; a
     * squared-off tone), targets -14 and -23 LUFS with the default -1 dBTP ceiling: the result, as
     * FFmpeg's ebur128 measures it, is within 1 LU of the target with its true peak at or under the
     * ceiling, and the reported "after" agrees with FFmpeg's.
     */
    @Test
    void aTargetIsMetAsFfmpegMeasuresItWithTheTruePeakUnderTheCeiling() {
        float[] hotTone = sine(220, 6, 0);
        for (int i = 0; i < hotTone.length; i++) {
            hotTone[i] = (float) Math.max(-0.98, Math.min(0.98, hotTone[i] * 1.5));
        }
        float[][] inputs = {hits(8, -40, 0.12, 21), hits(8, -3, 0.12, 22), noise(8, 0.003, 23), noise(8, 0.4, 24), hotTone};
        for (double target : new double[] {-14, -23}) {
            for (int k = 0; k < inputs.length; k++) {
                LoudnessTarget.Result r = LoudnessTarget.apply(new float[][] {inputs[k]}, RATE, target, -1);
                FfmpegEbur128.Reading ref = FfmpegEbur128.measure(r.channels()[0], RATE);
                String what = "input " + k + " to " + target + " LUFS";
                assertEquals(target, ref.integratedLufs(), 1.0, what + ": integrated, as FFmpeg measures it");
                assertTrue(ref.truePeakDbtp() <= -1 + 0.05, what + ": true peak " + ref.truePeakDbtp() + " dBTP");
                assertEquals(ref.integratedLufs(), r.after().integratedLufs(), 0.3, what + ": the reported value is the measured one");
                assertFalse(r.missed(target), what);
            }
        }
        // Sparse short hits (one every half second) cannot reach -14 LUFS under a -1 dBTP ceiling without
        // being distorted: the result is as loud as the limiter makes it, said so, and never over the ceiling.
        LoudnessTarget.Result sparse = LoudnessTarget.apply(new float[][] {hits(8, -40, 0.5, 25)}, RATE, -14, -1);
        FfmpegEbur128.Reading ref = FfmpegEbur128.measure(sparse.channels()[0], RATE);
        assertTrue(ref.truePeakDbtp() <= -1 + 0.05, "true peak " + ref.truePeakDbtp());
        assertEquals(ref.integratedLufs(), sparse.after().integratedLufs(), 0.3);
        assertEquals(Math.abs(ref.integratedLufs() + 14) > 1.0, sparse.missed(-14), "missed exactly when it is more than 1 LU off");
    }
}
