package dev.foley.media;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_GRAY8;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;

/**
 * What the picture does over time: motion energy per frame (mean absolute difference of small
 * grey frames) and the moments it changes abruptly, which is where sounds belong.
 */
public record MotionAnalysis(double fps, double seconds, double[] times, double[] energy, List<Onset> onsets) {

    /** A moment in the picture that deserves a sound, with its relative strength 0..1. */
    public record Onset(double time, double strength) {
    }

    /** The video could not be read as a video; the message is written for the client. */
    public static final class UnreadableVideoException extends Exception {
        public UnreadableVideoException(String message) {
            super(message, null, false, false);
        }
    }

    static final int W = 64;
    static final int H = 48;

    /** Reads at most {@code maxSeconds} of the video. */
    public static MotionAnalysis of(Path video, double maxSeconds) throws UnreadableVideoException {
        Ffmpeg.init();
        List<Double> times = new ArrayList<>();
        List<Double> energy = new ArrayList<>();
        double fps;
        double lastTime = 0;
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(video.toFile())) {
            g.setPixelFormat(AV_PIX_FMT_GRAY8);
            g.setImageWidth(W);
            g.setImageHeight(H);
            try {
                g.start();
            } catch (Exception e) {
                throw new UnreadableVideoException("the video could not be read (" + Ffmpeg.firstLine(e) + ")");
            }
            if (!g.hasVideo() || g.getImageWidth() <= 0) {
                throw new UnreadableVideoException("the file has no video stream");
            }
            fps = g.getFrameRate() > 0 ? g.getFrameRate() : 25;
            byte[] prev = null;
            double prevTime = 0;
            long start = Long.MIN_VALUE;
            Frame f;
            while (true) {
                try {
                    f = g.grabImage();
                } catch (Exception e) {
                    if (times.isEmpty() && prev == null) {
                        throw new UnreadableVideoException("the video's frames could not be decoded (" + Ffmpeg.firstLine(e) + ")");
                    }
                    break; // a damaged tail: keep what was read
                }
                if (f == null || f.image == null) {
                    break;
                }
                if (start == Long.MIN_VALUE) {
                    start = f.timestamp;
                }
                double t = (f.timestamp - start) / 1e6;
                if (t > maxSeconds + 0.5 / fps) {
                    break;
                }
                byte[] cur = gray(f);
                if (prev != null) {
                    long sum = 0;
                    for (int i = 0; i < cur.length; i++) {
                        sum += Math.abs((cur[i] & 0xff) - (prev[i] & 0xff));
                    }
                    times.add((prevTime + t) / 2); // the motion happened between the two frames
                    energy.add(sum / (double) cur.length);
                }
                prev = cur;
                prevTime = t;
                lastTime = t;
            }
            if (prev == null) {
                throw new UnreadableVideoException("the video has no decodable frames");
            }
        } catch (UnreadableVideoException e) {
            throw e;
        } catch (Exception e) {
            throw new UnreadableVideoException("the video could not be read (" + Ffmpeg.firstLine(e) + ")");
        }
        double seconds = Math.min(maxSeconds, lastTime + 1 / fps);
        double[] t = times.stream().mapToDouble(Double::doubleValue).toArray();
        double[] e = energy.stream().mapToDouble(Double::doubleValue).toArray();
        return new MotionAnalysis(fps, seconds, t, e, onsets(t, e, fps));
    }

    /**
     * The same picture with its shot cuts taken out: a cut changes every pixel at once, which
     * dwarfs any motion and would be taken for the moment that most deserves a sound, yet the
     * windows fade the sound out and in there by design. The motion energy of the frame pairs at
     * each cut (within a frame of it) is replaced by a line between the pairs on either side, and
     * the onsets are found again.
     */
    public MotionAnalysis withoutCuts(List<Double> cuts) {
        if (cuts.isEmpty() || times.length == 0) {
            return this;
        }
        double[] e = energy.clone();
        boolean[] atCut = new boolean[e.length];
        for (double c : cuts) {
            for (int i = 0; i < times.length; i++) {
                atCut[i] |= Math.abs(times[i] - c) <= 1.0 / fps + 1e-6;
            }
        }
        for (int i = 0; i < e.length; i++) {
            if (!atCut[i]) {
                continue;
            }
            int from = i;
            while (i + 1 < e.length && atCut[i + 1]) {
                i++;
            }
            double left = from > 0 ? energy[from - 1] : i + 1 < e.length ? energy[i + 1] : 0;
            double right = i + 1 < e.length ? energy[i + 1] : left;
            for (int k = from; k <= i; k++) {
                e[k] = left + (right - left) * (k - from + 1) / (i - from + 2);
            }
        }
        return new MotionAnalysis(fps, seconds, times, e, onsets(times, e, fps));
    }

    private static byte[] gray(Frame f) {
        ByteBuffer buf = (ByteBuffer) f.image[0];
        int stride = f.imageStride;
        byte[] out = new byte[W * H];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                out[y * W + x] = buf.get(y * stride + x);
            }
        }
        return out;
    }

    /**
     * Moments where motion changes abruptly: peaks of the absolute change of motion energy
     * between consecutive frame pairs (lightly smoothed), standing out from their neighbourhood,
     * at least 150 ms apart, each timed to a fraction of a frame by parabolic interpolation.
     * A bouncing object's speed collapses and recovers at the impact, so the change peaks there;
     * a sudden start or stop (a hit, a slam, a cut) does the same. A smooth glide makes no sound.
     */
    static List<Onset> onsets(double[] t, double[] e, double fps) {
        List<Onset> out = new ArrayList<>();
        int n = e.length - 1;
        if (n < 3) {
            return out;
        }
        double[] change = new double[n];
        double[] when = new double[n];
        for (int i = 0; i < n; i++) {
            change[i] = Math.abs(e[i + 1] - e[i]);
            when[i] = (t[i] + t[i + 1]) / 2;
        }
        int r = Math.max(1, (int) Math.round(0.03 * fps));
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            double sum = 0;
            double w = 0;
            for (int k = -r; k <= r; k++) {
                int j = i + k;
                if (j >= 0 && j < n) {
                    double wk = r + 1 - Math.abs(k);
                    sum += wk * change[j];
                    w += wk;
                }
            }
            s[i] = sum / w;
        }
        double max = 0;
        for (double v : s) {
            max = Math.max(max, v);
        }
        if (max < 0.2) {
            return out; // nothing changes abruptly enough to be heard
        }
        int window = Math.max(2, (int) Math.round(0.3 * fps));
        double minGap = 0.15;
        for (int i = 0; i < n; i++) {
            double left = i > 0 ? s[i - 1] : 0;
            double right = i + 1 < n ? s[i + 1] : 0;
            if (!(s[i] >= left && s[i] > right)) {
                continue;
            }
            double low = s[i];
            for (int k = 1; k <= window; k++) {
                low = Math.min(low, Math.min(i - k >= 0 ? s[i - k] : s[i], i + k < n ? s[i + k] : s[i]));
            }
            double prominence = s[i] - low;
            if (prominence < 0.35 * max) {
                continue;
            }
            double time = when[i];
            if (i > 0 && i + 1 < n) {
                double denom = left - 2 * s[i] + right;
                double offset = denom == 0 ? 0 : 0.5 * (left - right) / denom;
                offset = Math.max(-0.5, Math.min(0.5, offset));
                time += offset * (when[i + 1] - when[i - 1]) / 2;
            }
            double strength = Math.min(1, 0.4 + 0.6 * prominence / max);
            if (!out.isEmpty() && time - out.get(out.size() - 1).time() < minGap) {
                if (strength > out.get(out.size() - 1).strength()) {
                    out.set(out.size() - 1, new Onset(time, strength));
                }
                continue;
            }
            out.add(new Onset(time, strength));
        }
        return out;
    }
}
