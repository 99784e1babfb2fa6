package dev.foley.media;

/**
 * Brings a sound to a loudness target (LUFS) under a true-peak ceiling (dBTP): measure, one gain,
 * a true-peak limiter, measure again, and correct the gain while the result misses the target
 * (a limiter takes loudness out of a sound made of transients, which is why a single pass, or
 * FFmpeg's {@code loudnorm} alone, lands short on clicks). What comes back is measured, not
 * intended: {@link Result#after}.
 */
public final class LoudnessTarget {

    /** What the limiter aims under the ceiling: its own 4x estimate of true peak may read a little under a finer one. */
    static final double MARGIN_DB = 0.3;
    /** Gain corrections at most: each is a measure, a gain and a limiter pass. */
    static final int PASSES = 6;
    /** Limiter releases tried in turn, gentlest first. */
    static final double[] RELEASES = {0.08, 0.02, 0.005, 0.001};
    /** The most gain a target may add (60 dB: a quiet recording, not noise raised to the ceiling). */
    static final double MAX_GAIN_DB = 60;
    /** Close enough: within this of the target, no further pass. */
    static final double TOLERANCE_LU = 0.2;

    /** The sound brought to the target, and its loudness measured before and after. */
    public record Result(float[][] channels, Loudness before, Loudness after) {
        /**
         * Whether the result is more than 1 LU from {@code target}: sparse short hits under a
         * true-peak ceiling can only be made so loud without distorting them, and Foley says so
         * (the flag {@code loudness_target_missed}) rather than clip them.
         */
        public boolean missed(double target) {
            return !after.measured() || Math.abs(after.integratedLufs() - target) > 1.0;
        }
    }

    private LoudnessTarget() {
    }

    /**
     * {@code channels} at {@code targetLufs} with no true peak over {@code ceilingDbtp}; a sound that
     * cannot be measured (silent, under 0.4 s) comes back as it was.
     */
    public static Result apply(float[][] channels, int rate, double targetLufs, double ceilingDbtp) {
        Loudness before = Loudness.of(channels, rate);
        if (!before.measured()) {
            return new Result(channels, before, before);
        }
        double ceiling = Math.pow(10, (ceilingDbtp - MARGIN_DB) / 20);
        double gainDb = targetLufs - before.integratedLufs();
        float[][] out = channels;
        Loudness after = before;
        // A gentle release first; a sound made of short hits that still lands short gets a faster one
        // (the limiter then holds each hit's body up, not only its crest).
        for (double releaseSeconds : RELEASES) {
            for (int pass = 0; pass < PASSES; pass++) {
                out = limit(scaled(channels, Math.pow(10, gainDb / 20)), rate, ceiling, releaseSeconds);
                after = Loudness.of(out, rate);
                double miss = targetLufs - after.integratedLufs();
                if (!after.measured() || Math.abs(miss) <= TOLERANCE_LU) {
                    return new Result(out, before, after);
                }
                if (miss < 0) {
                    gainDb += miss; // too loud: less gain is always enough
                } else if (gainDb + miss > MAX_GAIN_DB) {
                    break;
                } else {
                    gainDb += miss;
                }
            }
        }
        return new Result(out, before, after);
    }

    static float[][] scaled(float[][] channels, double gain) {
        float[][] out = new float[channels.length][];
        for (int c = 0; c < channels.length; c++) {
            out[c] = new float[channels[c].length];
            for (int i = 0; i < out[c].length; i++) {
                out[c][i] = (float) (channels[c][i] * gain);
            }
        }
        return out;
    }

    /**
     * A look-ahead limiter on the true-peak envelope, linked across channels: at each sample the
     * gain that keeps the (4x interpolated) peak around it under {@code ceiling}, held as a minimum
     * over 5 ms either side (so the gain is down before the peak arrives), released over
     * {@code releaseSeconds}.
     */
    static float[][] limit(float[][] channels, int rate, double ceiling, double releaseSeconds) {
        int n = channels[0].length;
        double[] need = new double[n];
        java.util.Arrays.fill(need, 1);
        for (float[] ch : channels) {
            double[] peak = Loudness.truePeakEnvelope(ch, ceiling / 2);
            for (int i = 0; i < n; i++) {
                if (peak[i] > ceiling) {
                    need[i] = Math.min(need[i], ceiling / peak[i]);
                }
            }
        }
        int hold = Math.max(1, rate / 200);
        double[] gain = slidingMin(need, hold);
        double release = 1 - Math.exp(-1 / (releaseSeconds * rate));
        for (int i = 1; i < n; i++) {
            double recovered = gain[i - 1] + (1 - gain[i - 1]) * release;
            gain[i] = Math.min(gain[i], recovered);
        }
        // Smooth the attack too (the hold already leads the peak): a short backward pass.
        for (int i = n - 2; i >= 0; i--) {
            double recovered = gain[i + 1] + (1 - gain[i + 1]) * release * 4;
            gain[i] = Math.min(gain[i], recovered);
        }
        float[][] out = new float[channels.length][n];
        for (int c = 0; c < channels.length; c++) {
            for (int i = 0; i < n; i++) {
                out[c][i] = (float) (channels[c][i] * gain[i]);
            }
        }
        return out;
    }

    /** The minimum of {@code x} over {@code [i - r, i + r]} for each i (a monotone deque, linear time). */
    static double[] slidingMin(double[] x, int r) {
        int n = x.length;
        double[] out = new double[n];
        int[] q = new int[n];
        int head = 0;
        int tail = 0;
        int next = 0;
        for (int i = 0; i < n; i++) {
            int right = Math.min(n - 1, i + r);
            while (next <= right) {
                while (tail > head && x[q[tail - 1]] >= x[next]) {
                    tail--;
                }
                q[tail++] = next++;
            }
            while (q[head] < i - r) {
                head++;
            }
            out[i] = x[q[head]];
        }
        return out;
    }
}
