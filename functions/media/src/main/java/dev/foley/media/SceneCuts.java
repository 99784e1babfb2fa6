package dev.foley.media;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_GRAY8;

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
 * The shot cuts of a video: where its picture changes at once and stays changed. Each frame is
 * decoded (the loop filter skipped: what is compared is a thumbnail) and scaled to a
 * {@value #W}x{@value #H} grey thumbnail; frame {@code i} starts a new shot when
 * <ul>
 * <li>it differs from frame {@code i-1} by at least {@link #CUT} (mean absolute difference of the
 *     thumbnails, 0–1) and by at least {@link #SPIKE} times the mean difference of the frames just
 *     before it (fast motion changes every frame a lot, and so does not spike; a fade changes each
 *     frame a little);</li>
 * <li>the change persists: the next {@link #PERSIST} frames differ from frame {@code i-1} by at
 *     least {@link #CUT} too (a one- or two-frame flash comes back to the old picture, and is not a
 *     cut), and frame {@code i-1} was itself steady (the picture coming back after a flash is no cut);</li>
 * </ul>
 * and shots shorter than {@link Windows#MIN_SHOT} join their shorter neighbour. The cut's time is
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
     * and context only): decoding starts at the keyframe before {@code from}; shots shorter than
     * {@link Windows#MIN_SHOT} inside the range join a neighbour as over the whole video.
     */
    static List<Double> of(Path source, Ffmpeg.Probe p, double from, double to) throws Ffmpeg.UnreadableException {
        double seconds = to;
        Ffmpeg.init();
        record Thumb(double t, byte[] luma) {
        }
        List<Double> found = new ArrayList<>();
        ArrayDeque<Double> recent = new ArrayDeque<>(); // the differences just before the frames still waiting
        List<Thumb> pending = new ArrayList<>(); // frame i-1, then the frames whose verdict waits for what follows
        try (FFmpegFrameGrabber g = FfmpegCut.pictureOnly(source, p.videoStream())) {
            g.setImageWidth(W);
            g.setImageHeight(H);
            g.setPixelFormat(AV_PIX_FMT_GRAY8);
            g.setVideoOption("skip_loop_filter", "all");
            g.setVideoOption("threads", "2");
            g.start();
            Long base = from > 0 ? FfmpegCut.firstFrameTime(source, p.videoStream()) : null;
            if (from > 0 && base != null) {
                g.setVideoTimestamp(base + Math.max(0, Math.round(from * 1e6) - 500_000));
            }
            double previousDiff = 0;
            Frame f;
            while ((f = g.grabImage()) != null) {
                base = base == null ? f.timestamp : base;
                double t = (f.timestamp - base) / 1e6;
                if (t > seconds + 1e-6) {
                    break;
                }
                if (t < from - 0.3) {
                    continue; // before the range (decoded from the keyframe before it)
                }
                pending.add(new Thumb(t, luma(f)));
                // pending: [previous, candidate, persist_1 .. persist_PERSIST]
                if (pending.size() < PERSIST + 2) {
                    continue;
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
                if (d >= CUT && d >= SPIKE * baseline && persists && steadyBefore) {
                    found.add(candidate.t());
                    recent.clear(); // a new shot: its own baseline
                } else {
                    recent.addLast(d);
                    if (recent.size() > BASELINE) {
                        recent.removeFirst();
                    }
                }
                pending.remove(0);
            }
        } catch (FrameGrabber.Exception e) {
            throw new Ffmpeg.UnreadableException("the video could not be decoded (" + Ffmpeg.firstLine(e) + ")");
        }
        List<Double> inside = found.stream().filter(c -> c > from && c < to).map(c -> c - from).toList();
        List<Double> bounds = Windows.stretches(to - from, inside, Windows.MIN_SHOT);
        return bounds.subList(1, bounds.size() - 1).stream().map(c -> Math.round((c + from) * 1e6) / 1e6).toList();
    }

    private static byte[] luma(Frame f) {
        ByteBuffer b = (ByteBuffer) f.image[0];
        byte[] out = new byte[W * H];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                out[y * W + x] = b.get(y * f.imageStride + x);
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
