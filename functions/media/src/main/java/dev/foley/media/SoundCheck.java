package dev.foley.media;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The sound check: what a person would want to know about a soundtrack before using it, measured
 * without a model. Its sync against the picture (the lag that best lines the sound's onsets up with
 * the picture's motion onsets), its loudness ({@link Loudness}, EBU R128) and flags.
 *
 * @param sync     null when there is no picture to check against (an audio file alone)
 * @param loudness integrated loudness, true peak, range
 * @param flags    {@code silent}, {@code clipped}, {@code no_motion}, {@code no_onsets}: in that order, each when it holds
 */
public record SoundCheck(Sync sync, Loudness loudness, List<String> flags) {

    /** The search: lags from -1 s (the sound early) to +1 s (the sound late). */
    public static final double MAX_LAG_SECONDS = 1.0;
    /** A confidence this high or more: the lag stands clearly out of the others. Under {@link #WEAK}: it cannot tell. */
    public static final double CLEAR = 0.5;
    public static final double WEAK = 0.2;
    /** Samples at or over this (of full scale), three or more in a row, are clipped. */
    static final double FULL_SCALE = 0.999;
    /** Under this integrated loudness (or with nothing over the gate) a sound is silent. */
    static final double SILENT_LUFS = -60;

    /**
     * How the sound sits against the picture.
     *
     * @param offsetMs   positive: the sound comes late; null when it cannot tell ({@code reason} says why)
     * @param confidence 0..1: how far the best lag stands out of every lag 100 ms or more away from it
     *                   (1 - second best / best); null with the offset
     * @param reason     why there is no offset, or null
     */
    public record Sync(Double offsetMs, Double confidence, String reason) {
        static Sync cannotTell(String reason) {
            return new Sync(null, null, reason);
        }
    }

    /** An onset in the sound: when, and how strong (0..1 of the strongest). */
    public record Onset(double time, double strength) {
    }

    /**
     * Checks the sound of {@code sound} (any file FFmpeg reads with a sound track) against the
     * picture of {@code picture} (empty: no sync check).
     */
    public static SoundCheck of(Path sound, Optional<Path> picture) throws Ffmpeg.UnreadableException {
        float[][] channels = Ffmpeg.audio(sound, Ffmpeg.RATE, 2);
        Sync sync = null;
        if (picture.isPresent()) {
            double seconds = channels[0].length / (double) Ffmpeg.RATE;
            MotionAnalysis motion;
            try {
                motion = MotionAnalysis.of(picture.get(), Math.max(seconds, 1));
            } catch (MotionAnalysis.UnreadableVideoException e) {
                throw new Ffmpeg.UnreadableException(e.getMessage());
            }
            sync = sync(motion.onsets(), onsets(mono(channels), Ffmpeg.RATE));
        }
        return of(channels, Ffmpeg.RATE, sync);
    }

    /** The check of samples already decoded, with a sync found already (or null). */
    public static SoundCheck of(float[][] channels, int rate, Sync sync) {
        Loudness l = Loudness.of(channels, rate);
        List<String> flags = new ArrayList<>();
        if (!l.measured() || l.integratedLufs() < SILENT_LUFS) {
            flags.add("silent");
        }
        if (clippedRuns(channels) > 0) {
            flags.add("clipped");
        }
        if (sync != null && sync.reason() != null) {
            flags.add(sync.reason().startsWith("no_motion") ? "no_motion" : "no_onsets");
        }
        return new SoundCheck(sync, l, List.copyOf(flags));
    }

    /** The channels averaged into one. */
    public static float[] mono(float[][] channels) {
        if (channels.length == 1) {
            return channels[0]; // read only: no copy of a ten-minute track
        }
        float[] out = channels[0].clone();
        for (int c = 1; c < channels.length; c++) {
            for (int i = 0; i < out.length; i++) {
                out[i] += channels[c][i];
            }
        }
        if (channels.length > 1) {
            for (int i = 0; i < out.length; i++) {
                out[i] /= channels.length;
            }
        }
        return out;
    }

    /** Runs of three or more samples in a row at full scale, over all channels. */
    static int clippedRuns(float[][] channels) {
        int runs = 0;
        for (float[] ch : channels) {
            int run = 0;
            for (float v : ch) {
                if (Math.abs(v) >= FULL_SCALE) {
                    run++;
                    if (run == 3) {
                        runs++;
                    }
                } else {
                    run = 0;
                }
            }
        }
        return runs;
    }

    /**
     * Onsets in a sound: 5 ms frames of its first difference (a high-pass: attacks, not rumble)
     * whose level rose at least 9 dB over the 40 ms before, within 30 dB of the loudest frame, at
     * least 80 ms apart; each timed at the frame where the rise is steepest.
     */
    public static List<Onset> onsets(float[] x, int rate) {
        int hop = Math.max(1, rate / 200);
        int frames = x.length / hop;
        double[] level = new double[frames];
        double max = -300;
        for (int k = 0; k < frames; k++) {
            double e = 0;
            for (int i = Math.max(1, k * hop); i < (k + 1) * hop; i++) {
                double d = x[i] - x[i - 1];
                e += d * d;
            }
            level[k] = 10 * Math.log10(e / hop + 1e-15);
            max = Math.max(max, level[k]);
        }
        List<double[]> found = new ArrayList<>(); // {time, rise}
        double lastTime = -1;
        double maxRise = 0;
        for (int k = 8; k < frames; k++) {
            double before = Double.MAX_VALUE;
            for (int j = k - 8; j < k; j++) {
                before = Math.min(before, level[j]);
            }
            double rise = level[k] - before;
            if (rise < 9 || level[k] < max - 30 || level[k] < -90) {
                continue;
            }
            double t = (k * hop) / (double) rate;
            if (lastTime >= 0 && t - lastTime < 0.08) {
                continue;
            }
            found.add(new double[] {t, rise});
            maxRise = Math.max(maxRise, rise);
            lastTime = t;
        }
        List<Onset> out = new ArrayList<>();
        for (double[] f : found) {
            out.add(new Onset(f[0], f[1] / maxRise));
        }
        return out;
    }

    /**
     * The lag (within {@link #MAX_LAG_SECONDS}) at which the sound's onsets best line up with the
     * picture's: each pair of onsets adds the product of their strengths, weighted by a Gaussian
     * of 25 ms of how far apart they land at that lag; searched every 2 ms, the peak refined by a
     * parabola. Confidence: 1 minus the best score at any lag 100 ms or more from the peak over the
     * peak's (regular impacts, every half second say, line up at several lags: it says so).
     */
    public static Sync sync(List<MotionAnalysis.Onset> picture, List<Onset> sound) {
        if (picture.isEmpty()) {
            return Sync.cannotTell("no_motion: the picture has no moment of abrupt motion to line the sound up with");
        }
        if (sound.size() < 2) {
            return Sync.cannotTell("no_onsets: the sound has " + (sound.isEmpty() ? "no" : "one") + " distinct onset to line up");
        }
        double sigma = 0.025;
        double step = 0.002;
        int n = (int) Math.round(MAX_LAG_SECONDS / step);
        double[] score = new double[2 * n + 1];
        for (MotionAnalysis.Onset m : picture) {
            for (Onset s : sound) {
                double d0 = s.time() - m.time(); // the lag at which this pair coincides
                if (Math.abs(d0) > MAX_LAG_SECONDS + 3 * sigma) {
                    continue;
                }
                double w = m.strength() * s.strength();
                int lo = Math.max(0, (int) Math.floor((d0 - 3 * sigma) / step) + n);
                int hi = Math.min(2 * n, (int) Math.ceil((d0 + 3 * sigma) / step) + n);
                for (int k = lo; k <= hi; k++) {
                    double lag = (k - n) * step;
                    double z = (lag - d0) / sigma;
                    score[k] += w * Math.exp(-0.5 * z * z);
                }
            }
        }
        int best = 0;
        for (int k = 1; k < score.length; k++) {
            if (score[k] > score[best]) {
                best = k;
            }
        }
        if (score[best] <= 0) {
            return Sync.cannotTell("no_onsets: no onset of the sound falls within a second of a motion onset");
        }
        double second = 0;
        int away = (int) Math.round(0.1 / step);
        for (int k = 0; k < score.length; k++) {
            if (Math.abs(k - best) >= away) {
                second = Math.max(second, score[k]);
            }
        }
        double refined = best;
        if (best > 0 && best < score.length - 1) {
            double a = score[best - 1];
            double b = score[best];
            double c = score[best + 1];
            double denom = a - 2 * b + c;
            if (denom != 0) {
                refined += Math.max(-0.5, Math.min(0.5, 0.5 * (a - c) / denom));
            }
        }
        double offsetMs = Math.round((refined - n) * step * 1000);
        double confidence = Math.round(Math.max(0, 1 - second / score[best]) * 100) / 100.0;
        return new Sync(offsetMs, confidence, null);
    }

    /**
     * A take's score, to rank takes by (documented in docs/api.md): how clearly and how closely its
     * sound sits on the picture, confidence x (1 - |offset| / 500 ms), at least 0; then 1 off for
     * silence and 0.5 for clipping. Without a picture (text to audio), or when the sync cannot tell,
     * the sync part is 0 and only the flags count.
     */
    public double score() {
        double s = 0;
        if (sync != null && sync.offsetMs() != null && sync.confidence() != null) {
            s = sync.confidence() * Math.max(0, 1 - Math.abs(sync.offsetMs()) / 500.0);
        }
        if (flags.contains("silent")) {
            s -= 1;
        }
        if (flags.contains("clipped")) {
            s -= 0.5;
        }
        return Math.round(s * 1000) / 1000.0;
    }

    /** Words for a confidence, as docs/api.md documents them. */
    public static String confidenceWords(double confidence) {
        return confidence >= CLEAR ? "clear" : confidence >= WEAK ? "weak" : "cannot tell";
    }
}
