package dev.foley.media;

import java.util.Arrays;

/**
 * Loudness as ITU-R BS.1770-4 and EBU R128 (Tech 3341, 3342) define it: K-weighted, gated
 * integrated loudness (LUFS), true peak (dBTP, 4x oversampled) and loudness range (LU).
 *
 * <p>Written here rather than run as FFmpeg's {@code ebur128} filter: the media function's FFmpeg is
 * a minimal build (see "The media function's FFmpeg" in the README) and the measure is a few
 * filters and sums over samples Foley already holds decoded. The tests check it against planted
 * truth (a 1 kHz sine of known level) and against FFmpeg's own {@code ebur128} on other sounds.
 *
 * @param integratedLufs gated integrated loudness; {@code NaN} when nothing passes the absolute
 *                       gate (silence, or shorter than one 400 ms block)
 * @param truePeakDbtp   the highest inter-sample peak, dB relative to full scale ({@code -Infinity} for silence)
 * @param rangeLu        loudness range; 0 when shorter than one 3 s block
 */
public record Loudness(double integratedLufs, double truePeakDbtp, double rangeLu) {

    static final double ABSOLUTE_GATE = -70;

    /** Whether an integrated loudness could be measured (not silent, not too short). */
    public boolean measured() {
        return !Double.isNaN(integratedLufs);
    }

    /** Measures {@code channels} (each a channel's samples, all of one length) at {@code rate} Hz. */
    public static Loudness of(float[][] channels, int rate) {
        int n = channels.length == 0 ? 0 : channels[0].length;
        // Mean squares of 100 ms steps of the K-weighted signal (streamed: no weighted copy is kept);
        // a 400 ms block is four of them, a 3 s block thirty.
        int step = rate / 10;
        int steps = step == 0 ? 0 : n / step;
        double[] power = new double[steps];
        for (float[] ch : channels) {
            KWeighting k = new KWeighting(rate);
            for (int s = 0; s < steps; s++) {
                double sum = 0;
                for (int i = s * step; i < (s + 1) * step; i++) {
                    double w = k.next(ch[i]);
                    sum += w * w;
                }
                power[s] += sum / step; // every channel weighs 1 (mono, stereo: no surround here)
            }
        }
        double integrated = gated(blocks(power, 4), -10);
        double range = range(blocks(power, 30));
        double peak = Double.NEGATIVE_INFINITY;
        for (float[] ch : channels) {
            peak = Math.max(peak, truePeak(ch));
        }
        return new Loudness(integrated, peak <= 0 ? Double.NEGATIVE_INFINITY : 20 * Math.log10(peak), range);
    }

    /** Mean power of each block of {@code len} steps, hopping one step (75 % overlap for 400 ms blocks). */
    private static double[] blocks(double[] power, int len) {
        if (power.length < len) {
            return new double[0];
        }
        double[] out = new double[power.length - len + 1];
        double sum = 0;
        for (int i = 0; i < power.length; i++) {
            sum += power[i];
            if (i >= len) {
                sum -= power[i - len];
            }
            if (i >= len - 1) {
                out[i - len + 1] = sum / len;
            }
        }
        return out;
    }

    static double lufs(double power) {
        return -0.691 + 10 * Math.log10(power);
    }

    /** The blocks' powers that pass the absolute gate and the relative one, {@code relative} LU below their mean; empty for none. */
    private static double[] gatedPowers(double[] blocks, double relative) {
        double sum = 0;
        int count = 0;
        for (double b : blocks) {
            if (lufs(b) > ABSOLUTE_GATE) {
                sum += b;
                count++;
            }
        }
        if (count == 0) {
            return new double[0];
        }
        double gate = lufs(sum / count) + relative;
        return Arrays.stream(blocks).filter(b -> lufs(b) > ABSOLUTE_GATE && lufs(b) > gate).toArray();
    }

    /** Integrated loudness of {@code blocks}: absolute gate, then {@code relative} LU below the gated mean. */
    private static double gated(double[] blocks, double relative) {
        double[] kept = gatedPowers(blocks, relative);
        return kept.length == 0 ? Double.NaN : lufs(Arrays.stream(kept).average().orElseThrow());
    }

    /** EBU Tech 3342: short-term blocks gated at -70 LUFS and 20 LU below their mean; the 10th to 95th percentile spread. */
    private static double range(double[] shortTerm) {
        double[] v = Arrays.stream(gatedPowers(shortTerm, -20)).map(Loudness::lufs).sorted().toArray();
        return v.length < 2 ? 0 : percentile(v, 0.95) - percentile(v, 0.10);
    }

    private static double percentile(double[] sorted, double p) {
        double at = p * (sorted.length - 1);
        int lo = (int) Math.floor(at);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
    }

    /**
     * The K-weighting of BS.1770: a high shelf (+4 dB above about 1.7 kHz, the head's effect) then
     * the RLB high-pass (about 38 Hz), as biquads designed for the rate (libebur128's formulas,
     * which give the standard's 48 kHz coefficients exactly), one sample at a time.
     */
    static final class KWeighting {
        private final double b10, b11, b12, a11, a12, a21, a22;
        private double x1, x2, y1, y2, u1, u2, v1, v2;

        KWeighting(int rate) {
            double f0 = 1681.974450955533;
            double g = 3.999843853973347;
            double q = 0.7071752369554196;
            double k = Math.tan(Math.PI * f0 / rate);
            double vh = Math.pow(10, g / 20);
            double vb = Math.pow(vh, 0.4996667741545416);
            double a0 = 1 + k / q + k * k;
            b10 = (vh + vb * k / q + k * k) / a0;
            b11 = 2 * (k * k - vh) / a0;
            b12 = (vh - vb * k / q + k * k) / a0;
            a11 = 2 * (k * k - 1) / a0;
            a12 = (1 - k / q + k * k) / a0;
            f0 = 38.13547087602444;
            q = 0.5003270373238773;
            k = Math.tan(Math.PI * f0 / rate);
            double d = 1 + k / q + k * k;
            a21 = 2 * (k * k - 1) / d;
            a22 = (1 - k / q + k * k) / d;
        }

        double next(double x) {
            double y = b10 * x + b11 * x1 + b12 * x2 - a11 * y1 - a12 * y2;
            x2 = x1;
            x1 = x;
            y2 = y1;
            y1 = y;
            double v = y - 2 * u1 + u2 - a21 * v1 - a22 * v2; // the high-pass: b = 1, -2, 1
            u2 = u1;
            u1 = y;
            v2 = v1;
            v1 = v;
            return v;
        }
    }

    /**
     * Interpolation for 4x oversampling: the value a quarter, a half and three quarters of a sample
     * after sample c, each from the {@value #TAPS} samples around it, Hann-windowed sinc weights
     * (phase p, tap t weighs sample {@code c - 23 + t}).
     */
    private static final int TAPS = 48;
    private static final double[][] PHASES = phases();

    private static double[][] phases() {
        double[][] out = new double[4][TAPS];
        for (int p = 0; p < 4; p++) {
            double sum = 0;
            for (int t = 0; t < TAPS; t++) {
                double d = p / 4.0 + (TAPS / 2 - 1) - t; // distance from sample c - 7 + t to the point c + p/4
                double sinc = d == 0 ? 1 : Math.sin(Math.PI * d) / (Math.PI * d);
                double w = Math.abs(d) >= TAPS / 2.0 ? 0 : 0.5 + 0.5 * Math.cos(Math.PI * d / (TAPS / 2.0));
                out[p][t] = sinc * w;
                sum += out[p][t];
            }
            for (int t = 0; t < TAPS; t++) {
                out[p][t] /= sum; // a constant passes at unit gain
            }
        }
        return out;
    }

    /**
     * The highest absolute value of {@code x} oversampled 4x (the sample peak at least). Only
     * stretches whose samples come within 6 dB of the sample peak can hold an inter-sample peak
     * above it, so only those are interpolated.
     */
    static double truePeak(float[] x) {
        double samplePeak = 0;
        for (float v : x) {
            samplePeak = Math.max(samplePeak, Math.abs(v));
        }
        if (samplePeak == 0) {
            return 0;
        }
        double threshold = samplePeak / 2;
        double peak = samplePeak;
        for (int c = 0; c + 1 < x.length; c++) {
            if (Math.abs(x[c]) >= threshold || Math.abs(x[c + 1]) >= threshold) {
                for (int p = 1; p < PHASES.length; p++) {
                    peak = Math.max(peak, Math.abs(interpolate(x, c, PHASES[p])));
                }
            }
        }
        return peak;
    }

    /**
     * For each sample, the highest absolute value of the 4x oversampled signal within half a sample
     * of it; interpolated only where a neighbouring sample reaches {@code threshold} (elsewhere the
     * sample's own value: a band-limited signal does not rise 6 dB between two samples under it).
     */
    static double[] truePeakEnvelope(float[] x, double threshold) {
        double[] env = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            env[i] = Math.abs(x[i]);
        }
        for (int c = 0; c + 1 < x.length; c++) {
            if (Math.abs(x[c]) < threshold && Math.abs(x[c + 1]) < threshold) {
                continue;
            }
            for (int p = 1; p < PHASES.length; p++) { // the points a quarter, a half, three quarters after sample c
                int nearest = p <= 2 ? c : c + 1;
                env[nearest] = Math.max(env[nearest], Math.abs(interpolate(x, c, PHASES[p])));
            }
        }
        return env;
    }

    /** The value {@code phase} interpolates after sample {@code c} of {@code x}. */
    private static double interpolate(float[] x, int c, double[] phase) {
        double acc = 0;
        for (int t = 0; t < TAPS; t++) {
            int j = c - (TAPS / 2 - 1) + t;
            if (j >= 0 && j < x.length) {
                acc += phase[t] * x[j];
            }
        }
        return acc;
    }
}
