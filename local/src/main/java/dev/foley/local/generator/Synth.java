package dev.foley.local.generator;

import dev.foley.media.MotionAnalysis;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Renders a {@link SoundDesign} to samples: the beds for the whole length and one hit per onset.
 * Deterministic for a given seed. {@code guidance} (0..20) sets contrast: how far the hits stand
 * above the bed.
 */
public final class Synth {

    public static final int RATE = 44_100;

    private Synth() {
    }

    public static float[] render(SoundDesign design, List<MotionAnalysis.Onset> onsets, double seconds, double guidance,
            long seed) {
        int n = (int) Math.round(seconds * RATE);
        float[] out = new float[n];
        SplittableRandom rnd = new SplittableRandom(seed);
        double contrast = Math.max(0, Math.min(1, guidance / 20.0));
        double bedGain = 0.2 * (1 - 0.7 * contrast) + 0.04;
        double hitGain = 0.45 + 0.4 * contrast;
        for (SoundDesign.Bed b : design.beds()) {
            bed(b, out, rnd.split(), bedGain / Math.sqrt(design.beds().size()));
        }
        for (MotionAnalysis.Onset o : onsets) {
            hit(design.hit(), out, (int) Math.round(o.time() * RATE), hitGain * o.strength(), rnd.split());
        }
        limit(out, 0.89f);
        fade(out, (int) (0.01 * RATE));
        return out;
    }

    // ---- beds ----

    private static void bed(SoundDesign.Bed bed, float[] out, SplittableRandom r, double gain) {
        int n = out.length;
        double lp = 0;
        double lp2 = 0;
        double brown = 0;
        double phase = r.nextDouble() * Math.PI * 2;
        switch (bed) {
            case RAIN -> {
                for (int i = 0; i < n; i++) {
                    double w = r.nextDouble() * 2 - 1;
                    lp += 0.35 * (w - lp);
                    out[i] += (float) (gain * 0.5 * (w - lp)); // hiss: high-passed noise
                }
                drops(out, r, gain, 35, 1800, 5200, 0.012);
            }
            case WIND -> {
                for (int i = 0; i < n; i++) {
                    double w = r.nextDouble() * 2 - 1;
                    lp += 0.02 * (w - lp);
                    lp2 += 0.02 * (lp - lp2);
                    double gust = 0.6 + 0.4 * Math.sin(phase + 2 * Math.PI * 0.17 * i / RATE)
                            * Math.sin(phase * 0.7 + 2 * Math.PI * 0.05 * i / RATE);
                    out[i] += (float) (gain * 7 * lp2 * gust);
                }
            }
            case FIRE -> {
                for (int i = 0; i < n; i++) {
                    brown = 0.995 * brown + 0.02 * (r.nextDouble() * 2 - 1);
                    out[i] += (float) (gain * 1.5 * brown);
                }
                drops(out, r, gain * 1.6, 9, 900, 4000, 0.004);
            }
            case WATER -> {
                for (int i = 0; i < n; i++) {
                    double w = r.nextDouble() * 2 - 1;
                    lp += 0.15 * (w - lp);
                    lp2 += 0.05 * (lp - lp2);
                    out[i] += (float) (gain * 0.9 * (lp - lp2));
                }
                for (double t = 0; t < n / (double) RATE; t += 0.02 + r.nextDouble() * 0.08) { // bubbles
                    chirp(out, (int) (t * RATE), 300 + r.nextDouble() * 900, 1.8, 0.03, gain * 0.3);
                }
            }
            case OCEAN -> {
                for (int i = 0; i < n; i++) {
                    double w = r.nextDouble() * 2 - 1;
                    lp += 0.08 * (w - lp);
                    double swell = 0.5 + 0.5 * Math.sin(phase + 2 * Math.PI * 0.12 * i / RATE);
                    out[i] += (float) (gain * 1.4 * lp * swell * swell);
                }
            }
            case ENGINE -> {
                double f = 48 + r.nextDouble() * 30;
                for (int i = 0; i < n; i++) {
                    double t = i / (double) RATE;
                    double v = Math.sin(2 * Math.PI * f * t) + 0.5 * Math.sin(2 * Math.PI * 2 * f * t)
                            + 0.25 * Math.sin(2 * Math.PI * 3 * f * t);
                    lp += 0.05 * ((r.nextDouble() * 2 - 1) - lp);
                    out[i] += (float) (gain * (0.35 * v + 0.8 * lp));
                }
            }
            case CROWD -> {
                for (int i = 0; i < n; i++) {
                    double w = r.nextDouble() * 2 - 1;
                    lp += 0.12 * (w - lp);
                    lp2 += 0.03 * (lp - lp2);
                    double babble = 0.7 + 0.3 * Math.sin(2 * Math.PI * 3.1 * i / RATE + phase) * Math.sin(2 * Math.PI * 4.7 * i / RATE);
                    out[i] += (float) (gain * 1.6 * (lp - lp2) * babble);
                }
            }
            case BIRDS -> {
                for (double t = r.nextDouble() * 0.5; t < n / (double) RATE; t += 0.25 + r.nextDouble() * 0.9) {
                    double f = 2500 + r.nextDouble() * 2500;
                    for (int k = 0; k < 2 + r.nextInt(3); k++) {
                        chirp(out, (int) ((t + k * 0.09) * RATE), f, 1.4, 0.06, gain * 0.5);
                    }
                }
            }
            case THUNDER -> {
                for (double t = 0.3 + r.nextDouble(); t < n / (double) RATE; t += 3 + r.nextDouble() * 4) {
                    int start = (int) (t * RATE);
                    double env = 0;
                    double l = 0;
                    for (int i = start; i < Math.min(n, start + 3 * RATE); i++) {
                        double a = (i - start) / (double) RATE;
                        env = a < 0.15 ? a / 0.15 : Math.exp(-(a - 0.15) * 1.6);
                        l += 0.01 * ((r.nextDouble() * 2 - 1) - l);
                        out[i] += (float) (gain * 14 * l * env);
                    }
                }
            }
            case ROOM -> { // a quiet room tone
                for (int i = 0; i < n; i++) {
                    brown = 0.997 * brown + 0.01 * (r.nextDouble() * 2 - 1);
                    out[i] += (float) (gain * 0.25 * brown);
                }
            }
            default -> throw new IllegalStateException(bed.name());
        }
    }

    /** Random short decaying pings: raindrops, crackles. */
    private static void drops(float[] out, SplittableRandom r, double gain, double perSecond, double fLow, double fHigh, double decay) {
        double seconds = out.length / (double) RATE;
        int count = (int) (seconds * perSecond);
        for (int k = 0; k < count; k++) {
            int start = (int) (r.nextDouble() * out.length);
            double f = fLow + r.nextDouble() * (fHigh - fLow);
            double a = gain * (0.2 + 0.8 * r.nextDouble());
            for (int i = start; i < Math.min(out.length, start + (int) (decay * 6 * RATE)); i++) {
                double t = (i - start) / (double) RATE;
                out[i] += (float) (a * Math.exp(-t / decay) * Math.sin(2 * Math.PI * f * t));
            }
        }
    }

    private static void chirp(float[] out, int start, double f0, double ratio, double length, double gain) {
        double phase = 0;
        for (int i = start; i < Math.min(out.length, start + (int) (length * RATE)); i++) {
            double t = (i - start) / (double) RATE;
            double f = f0 * Math.pow(ratio, t / length);
            phase += 2 * Math.PI * f / RATE;
            out[i] += (float) (gain * Math.sin(Math.PI * t / length) * Math.sin(phase));
        }
    }

    // ---- hits ----

    private static void hit(SoundDesign.Hit hit, float[] out, int start, double gain, SplittableRandom r) {
        if (start < 0 || start >= out.length) {
            return;
        }
        switch (hit) {
            case WOOD -> {
                modes(out, start, gain, new double[] {170, 390, 720}, new double[] {1, 0.45, 0.2}, 0.09, -0.35);
                click(out, start, gain * 0.6, 0.004, r);
            }
            case METAL -> {
                double f = 420 + r.nextDouble() * 60;
                modes(out, start, gain * 0.8, new double[] {f, f * 2.76, f * 5.40, f * 8.93}, new double[] {1, 0.6, 0.35, 0.2}, 0.7, 0);
                click(out, start, gain * 0.5, 0.002, r);
            }
            case GLASS -> {
                modes(out, start, gain * 0.7, new double[] {2100, 3300, 4700, 6100}, new double[] {1, 0.7, 0.5, 0.3}, 0.18, 0);
                click(out, start, gain * 0.8, 0.003, r);
            }
            case FOOTSTEP -> {
                modes(out, start, gain * 0.8, new double[] {95, 210}, new double[] {1, 0.4}, 0.05, -0.2);
                crunch(out, start, gain * 0.7, 0.07, r);
            }
            case SPLASH -> crunch(out, start, gain, 0.25, r);
            case SOFT -> modes(out, start, gain * 0.9, new double[] {110, 230}, new double[] {1, 0.3}, 0.06, -0.3);
            default -> throw new IllegalStateException(hit.name());
        }
    }

    /** Decaying partials; {@code drop} bends the pitch down over the decay (a thump). */
    private static void modes(float[] out, int start, double gain, double[] freqs, double[] amps, double decay, double drop) {
        int len = Math.min(out.length - start, (int) (decay * 7 * RATE));
        for (int p = 0; p < freqs.length; p++) {
            double phase = 0;
            double d = decay / (1 + p * 0.6);
            for (int i = 0; i < len; i++) {
                double t = i / (double) RATE;
                double f = freqs[p] * (1 + drop * (1 - Math.exp(-t / decay)));
                phase += 2 * Math.PI * f / RATE;
                double attack = Math.min(1, t / 0.0015);
                out[start + i] += (float) (gain * amps[p] * attack * Math.exp(-t / d) * Math.sin(phase));
            }
        }
    }

    private static void click(float[] out, int start, double gain, double decay, SplittableRandom r) {
        for (int i = 0; i < Math.min(out.length - start, (int) (decay * 6 * RATE)); i++) {
            double t = i / (double) RATE;
            out[start + i] += (float) (gain * Math.exp(-t / decay) * (r.nextDouble() * 2 - 1));
        }
    }

    private static void crunch(float[] out, int start, double gain, double length, SplittableRandom r) {
        double lp = 0;
        for (int i = 0; i < Math.min(out.length - start, (int) (length * RATE)); i++) {
            double t = i / (double) RATE;
            double w = r.nextDouble() * 2 - 1;
            lp += 0.3 * (w - lp);
            double grain = r.nextDouble() < 0.08 ? 2.5 : 1;
            out[start + i] += (float) (gain * grain * (w - 0.5 * lp) * Math.exp(-t / (length / 3)) * Math.min(1, t / 0.002));
        }
    }

    /** Scales down only when something would clip; quiet prompts stay quiet. */
    private static void limit(float[] out, float peak) {
        float max = 0;
        for (float v : out) {
            max = Math.max(max, Math.abs(v));
        }
        if (max > peak) {
            float k = peak / max;
            for (int i = 0; i < out.length; i++) {
                out[i] *= k;
            }
        }
    }

    private static void fade(float[] out, int len) {
        for (int i = 0; i < Math.min(len, out.length); i++) {
            float g = i / (float) len;
            out[i] *= g;
            out[out.length - 1 - i] *= g;
        }
    }
}
