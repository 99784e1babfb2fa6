package dev.foley.media;

import dev.foley.prediction.Windows;
import java.util.List;

/**
 * The sound itself, as mono float samples: joining windows, putting the clip's own sound with the
 * new one, keeping the level in range. Pure arithmetic (no FFmpeg), so it is tested on tones.
 */
public final class Sound {

    /** The new sound's gain while the original is loud, under {@code duck} (−12 dB). */
    static final double DUCK_GAIN = 0.25;
    /** The original counts as loud above this RMS level (dBFS) ... */
    static final double DUCK_THRESHOLD_DB = -40;
    /** ... fully loud this much above it. */
    static final double DUCK_RANGE_DB = 10;

    private Sound() {
    }

    /** At a hard edge (a shot cut, a segment's edge) the sound changes with fades this long, out then in (seconds). */
    public static final double EDGE_FADE = 0.02;

    /**
     * Joins the windows' audio into one track of {@code total} samples: each window's sound where it
     * alone covers the video; across each overlap an equal-power crossfade ({@code cos}/{@code sin}
     * gains, so a sound both windows agree on keeps its level) of at most {@code crossfade} seconds,
     * centred in the overlap. Where two windows meet at a hard edge (no overlap: a shot cut, a
     * segment's edge), the sound changes there: the first fades out over the {@link #EDGE_FADE}
     * before the edge and the next fades in over the {@link #EDGE_FADE} after it, so nothing of one
     * shot's sound is carried into the next and there is no click. A track shorter than its window
     * is padded with silence.
     */
    public static float[] join(List<Windows.Window> plan, List<float[]> tracks, int rate, int total, double crossfade) {
        if (plan.size() != tracks.size()) {
            throw new IllegalArgumentException(plan.size() + " windows but " + tracks.size() + " tracks");
        }
        float[] out = new float[total];
        int n = plan.size();
        // Window i fades in over [inStart[i], inStart[i] + inLen[i]) and out over [outStart[i], outStart[i] + outLen[i]).
        long[] inStart = new long[n];
        long[] inLen = new long[n];
        long[] outStart = new long[n];
        long[] outLen = new long[n];
        long edgeFade = Math.max(1, Math.round(EDGE_FADE * rate));
        for (int i = 0; i + 1 < n; i++) {
            if (Windows.meetAtEdge(plan, i)) {
                long edge = Math.round(plan.get(i + 1).start() * rate);
                outStart[i] = edge - edgeFade;
                outLen[i] = edgeFade;
                inStart[i + 1] = edge;
                inLen[i + 1] = edgeFade;
                continue;
            }
            double overlapStart = plan.get(i + 1).start();
            double overlapEnd = Math.min(plan.get(i).end(), plan.get(i).start() + tracks.get(i).length / (double) rate);
            double len = Math.max(0, Math.min(crossfade, overlapEnd - overlapStart));
            double mid = (overlapStart + Math.max(overlapStart, overlapEnd)) / 2;
            outStart[i] = Math.round((mid - len / 2) * rate);
            outLen[i] = Math.max(1, Math.round(len * rate));
            inStart[i + 1] = outStart[i];
            inLen[i + 1] = outLen[i];
        }
        for (int i = 0; i < n; i++) {
            float[] t = tracks.get(i);
            long offset = Math.round(plan.get(i).start() * rate);
            long from = i == 0 ? 0 : inStart[i];
            long to = i == n - 1 ? total : outStart[i] + outLen[i];
            for (long s = Math.max(0, from); s < Math.min(total, to); s++) {
                double g = 1;
                if (i > 0 && s < inStart[i] + inLen[i]) {
                    g = Math.sin(Math.PI / 2 * (s - inStart[i] + 0.5) / inLen[i]);
                }
                if (i < n - 1 && s >= outStart[i]) {
                    g *= Math.cos(Math.PI / 2 * (s - outStart[i] + 0.5) / outLen[i]);
                }
                long k = s - offset;
                if (k >= 0 && k < t.length) {
                    out[(int) s] += (float) (g * t[(int) k]);
                }
            }
        }
        return out;
    }

    /**
     * {@link #join} channel by channel: each window's sound in its own channels (a mono window in
     * every channel), the result in as many channels as the most any window has.
     */
    public static float[][] joinChannels(List<Windows.Window> plan, List<float[][]> tracks, int rate, int total, double crossfade) {
        int channels = tracks.stream().mapToInt(t -> t.length).max().orElse(1);
        float[][] out = new float[channels][];
        for (int c = 0; c < channels; c++) {
            int ch = c;
            out[c] = join(plan, tracks.stream().map(t -> t[Math.min(ch, t.length - 1)]).toList(), rate, total, crossfade);
        }
        // An equal-power crossfade of two takes of one sound (an impact both windows hear) can rise 3 dB: never past full scale.
        return limited(out);
    }

    /** {@code mix}: both tracks, the original at {@code level}. */
    public static float[] mix(float[] generated, float[] original, double level) {
        return mix(generated, new float[][] {original}, level)[0];
    }

    /**
     * {@code mix} keeping the original's channels: the new (mono) sound in the middle of each,
     * the original's own stereo image kept.
     */
    public static float[][] mix(float[] generated, float[][] original, double level) {
        return mix(new float[][] {generated}, original, level);
    }

    /**
     * {@code mix} of a new sound in its own channels (a stereo model stays stereo) with the
     * original's: as many channels as the more of the two has; a mono one is in every channel.
     */
    public static float[][] mix(float[][] generated, float[][] original, double level) {
        float[][] out = new float[Math.max(generated.length, original.length)][];
        for (int c = 0; c < out.length; c++) {
            out[c] = generated[Math.min(c, generated.length - 1)].clone();
            float[] o = original[Math.min(c, original.length - 1)];
            for (int i = 0; i < out[c].length && i < o.length; i++) {
                out[c][i] += (float) (level * o[i]);
            }
        }
        return limited(out);
    }

    /**
     * {@code duck}: the original in front (at {@code level}); the new sound lowered to
     * {@link #DUCK_GAIN} while the original is loud, following its level with a fast attack
     * (10 ms) and a slow release (300 ms), as a sound engineer rides effects under dialogue.
     */
    public static float[] duck(float[] generated, float[] original, double level, int rate) {
        return duck(generated, new float[][] {original}, level, rate)[0];
    }

    /** {@code duck} keeping the original's channels; the new sound follows the level of all of them together. */
    public static float[][] duck(float[] generated, float[][] original, double level, int rate) {
        return duck(new float[][] {generated}, original, level, rate);
    }

    /** {@code duck} of a new sound in its own channels, as {@link #mix(float[][], float[][], double)} lays them out. */
    public static float[][] duck(float[][] generated, float[][] original, double level, int rate) {
        int length = generated[0].length;
        float[] gain = duckGain(downmix(original), length, rate);
        float[][] out = new float[Math.max(generated.length, original.length)][length];
        for (int c = 0; c < out.length; c++) {
            float[] g = generated[Math.min(c, generated.length - 1)];
            float[] o = original[Math.min(c, original.length - 1)];
            for (int i = 0; i < length; i++) {
                out[c][i] = gain[i] * g[i] + (i < o.length ? (float) (level * o[i]) : 0f);
            }
        }
        return limited(out);
    }

    /** The channels' average (the level a listener hears of all of them). */
    static float[] downmix(float[][] channels) {
        if (channels.length == 1) {
            return channels[0];
        }
        float[] out = new float[channels[0].length];
        for (float[] ch : channels) {
            for (int i = 0; i < out.length && i < ch.length; i++) {
                out[i] += ch[i] / channels.length;
            }
        }
        return out;
    }

    /** The gain applied to the new sound, sample by sample, from the original's 20 ms RMS level. */
    static float[] duckGain(float[] original, int length, int rate) {
        int block = Math.max(1, rate / 50);
        float[] gain = new float[length];
        double attack = Math.exp(-1.0 / (0.010 * rate));
        double release = Math.exp(-1.0 / (0.300 * rate));
        double g = 1;
        double target = 1;
        for (int i = 0; i < length; i++) {
            if (i % block == 0) {
                double e = 0;
                int end = Math.min(original.length, i + block);
                for (int k = i; k < end; k++) {
                    e += original[k] * original[k];
                }
                double rms = end > i ? Math.sqrt(e / (end - i)) : 0;
                double db = 20 * Math.log10(rms + 1e-9);
                double loud = Math.max(0, Math.min(1, (db - DUCK_THRESHOLD_DB) / DUCK_RANGE_DB));
                target = 1 - (1 - DUCK_GAIN) * loud;
            }
            double coeff = target < g ? attack : release;
            g = target + (g - target) * coeff;
            gain[i] = (float) g;
        }
        return gain;
    }

    /** Scaled down as a whole if it would clip (never clipped sample by sample: no distortion). */
    static float[] limited(float[] x) {
        return limited(new float[][] {x})[0];
    }

    /** The same for several channels, all by one factor (the balance between them kept). */
    static float[][] limited(float[][] channels) {
        float peak = 0;
        for (float[] x : channels) {
            for (float v : x) {
                peak = Math.max(peak, Math.abs(v));
            }
        }
        if (peak > 0.99f) {
            float k = 0.99f / peak;
            for (float[] x : channels) {
                for (int i = 0; i < x.length; i++) {
                    x[i] *= k;
                }
            }
        }
        return channels;
    }

    /** RMS level in dBFS of {@code x[from, to)}. */
    public static double levelDb(float[] x, int from, int to) {
        double e = 0;
        for (int i = from; i < to; i++) {
            e += x[i] * x[i];
        }
        return 10 * Math.log10(e / Math.max(1, to - from) + 1e-20);
    }
}
