package dev.foley.media;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;

import dev.foley.prediction.Windows;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;

/**
 * The shot cuts of a video: where its picture changes at once and stays changed. Each frame, as
 * the split decodes it for the windows, is reduced to a {@value #W}x{@value #H} grey thumbnail;
 * frame {@code i} starts a new shot when
 * <ul>
 * <li>it differs from frame {@code i-1} by at least {@link #CUT} (mean absolute difference of the
 *     thumbnails, 0–1) and by at least {@link #SPIKE} times the mean difference of the frames just
 *     before it (fast motion changes every frame a lot, and so does not spike; a fade changes each
 *     frame a little);</li>
 * <li>the change persists: the next {@link #PERSIST} frames differ from frame {@code i-1} by at
 *     least {@link #CUT} too (a one- or two-frame flash comes back to the old picture, and is not a
 *     cut), and frame {@code i-1} was itself steady (the picture coming back after a flash is no cut);</li>
 * </ul>
 * and shots shorter than {@link Windows#MIN_SHOT} join the one before ({@link Windows#stretches}). The cut's time is
 * the first frame of the new shot, exact to the frame.
 */
final class SceneCuts {

    static final int W = 64;
    static final int H = 36;
    static final double CUT = 0.09;
    static final double SPIKE = 4.0;
    static final int PERSIST = 2;
    /** Frames before a candidate whose mean difference is its baseline. */
    static final int BASELINE = 6;

    private SceneCuts() {
    }

    /** The cuts (seconds from the first frame, ascending) in the first {@code seconds} of {@code source}'s picture. */
    static List<Double> of(Path source, Ffmpeg.Probe p, double seconds) throws Ffmpeg.UnreadableException {
        return of(source, p, 0, seconds);
    }

    /**
     * The cuts in {@code [from, to]} of {@code source}'s picture (a regenerate looks at its stretch
     * and context only), in a pass of its own: decoding starts at the keyframe before {@code from};
     * the pictures compared are the ones the split sends (see {@link FfmpegCut#cutFollowingShots},
     * which finds the cuts of a whole video in its own decode), so both find the same cuts; shots
     * shorter than {@link Windows#MIN_SHOT} inside the range join the one before.
     */
    static List<Double> of(Path source, Ffmpeg.Probe p, double from, double to) throws Ffmpeg.UnreadableException {
        Ffmpeg.init();
        Detector d = new Detector();
        int[] size = FfmpegCut.windowSize(p);
        try (FFmpegFrameGrabber g = FfmpegCut.pictureOnly(source, p.videoStream())) {
            g.setImageWidth(size[0]);
            g.setImageHeight(size[1]);
            g.setPixelFormat(AV_PIX_FMT_YUV420P);
            g.setVideoOption("threads", "2");
            g.start();
            Long base = from > 0 ? FfmpegCut.firstFrameTime(source, p.videoStream()) : null;
            if (from > 0 && base != null) {
                g.setVideoTimestamp(base + Math.max(0, Math.round(from * 1e6) - 500_000));
            }
            Frame f;
            while ((f = g.grabImage()) != null) {
                base = base == null ? f.timestamp : base;
                double t = (f.timestamp - base) / 1e6;
                if (t > to + 1e-6) {
                    break;
                }
                if (t < from - 0.3) {
                    continue; // before the range (decoded from the keyframe before it)
                }
                d.accept(t, thumbnail(f));
            }
        } catch (FrameGrabber.Exception e) {
            throw new Ffmpeg.UnreadableException("the video could not be decoded (" + Ffmpeg.firstLine(e) + ")");
        }
        List<Double> inside = d.found().stream().filter(c -> c > from && c < to).map(c -> c - from).toList();
        List<Double> bounds = Windows.stretches(to - from, inside, Windows.MIN_SHOT);
        return bounds.subList(1, bounds.size() - 1).stream().map(c -> Math.round((c + from) * 1e6) / 1e6).toList();
    }

    /**
     * The search itself, a frame at a time: each frame's thumbnail in, in order; a frame's verdict
     * (a cut or not) once the {@link #PERSIST} frames after it are in.
     */
    static final class Detector {
        private record Thumb(double t, byte[] luma) {
        }

        private final List<Double> found = new ArrayList<>();
        private final ArrayDeque<Double> recent = new ArrayDeque<>(); // the differences just before the frames still waiting
        private final List<Thumb> pending = new ArrayList<>(); // frame i-1, then the frames whose verdict waits for what follows
        private double previousDiff;
        private double decided = Double.NEGATIVE_INFINITY;

        /** The next frame, at {@code t} seconds: the cut it confirms (the time of the new shot's first frame), or NaN. */
        double accept(double t, byte[] luma) {
            pending.add(new Thumb(t, luma));
            // pending: [previous, candidate, persist_1 .. persist_PERSIST]
            if (pending.size() < PERSIST + 2) {
                return Double.NaN;
            }
            Thumb before = pending.get(0);
            Thumb candidate = pending.get(1);
            double d = diff(before.luma(), candidate.luma());
            double baseline = recent.stream().mapToDouble(Double::doubleValue).average().orElse(0);
            boolean persists = true;
            for (int k = 2; k < pending.size(); k++) {
                persists &= diff(before.luma(), pending.get(k).luma()) >= CUT;
            }
            // The frame before must itself be steady (after a flash frame, the picture coming back is no cut).
            boolean steadyBefore = previousDiff < CUT;
            previousDiff = d;
            pending.remove(0);
            decided = candidate.t();
            if (d >= CUT && d >= SPIKE * baseline && persists && steadyBefore) {
                found.add(candidate.t());
                recent.clear(); // a new shot: its own baseline
                return candidate.t();
            }
            recent.addLast(d);
            if (recent.size() > BASELINE) {
                recent.removeFirst();
            }
            return Double.NaN;
        }

        /** Every frame up to this time has its verdict (the last {@link #PERSIST} frames of a video never have one: no cut there). */
        double decidedUpTo() {
            return decided;
        }

        /** The cuts found so far, before shots under a second are joined. */
        List<Double> found() {
            return found;
        }
    }

    /**
     * The {@value #W}x{@value #H} grey thumbnail of a decoded picture (its luma plane, 8-bit, as
     * the split decodes it): each cell the mean of up to 4x4 samples spread over it.
     */
    static byte[] thumbnail(Frame f) {
        ByteBuffer b = (ByteBuffer) f.image[0];
        int width = f.imageWidth;
        int height = f.imageHeight;
        int stride = f.imageStride;
        byte[] out = new byte[W * H];
        for (int y = 0; y < H; y++) {
            int y0 = y * height / H;
            int y1 = Math.max(y0 + 1, (y + 1) * height / H);
            int ys = Math.max(1, (y1 - y0) / 4);
            for (int x = 0; x < W; x++) {
                int x0 = x * width / W;
                int x1 = Math.max(x0 + 1, (x + 1) * width / W);
                int xs = Math.max(1, (x1 - x0) / 4);
                int sum = 0;
                int n = 0;
                for (int yy = y0 + ys / 2; yy < y1; yy += ys) {
                    int row = yy * stride;
                    for (int xx = x0 + xs / 2; xx < x1; xx += xs) {
                        sum += b.get(row + xx) & 0xff;
                        n++;
                    }
                }
                out[y * W + x] = (byte) (n == 0 ? 0 : sum / n);
            }
        }
        return out;
    }

    /** Mean absolute difference of two thumbnails, 0–1. */
    static double diff(byte[] a, byte[] b) {
        long sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += Math.abs((a[i] & 0xff) - (b[i] & 0xff));
        }
        return sum / (255.0 * a.length);
    }
}
