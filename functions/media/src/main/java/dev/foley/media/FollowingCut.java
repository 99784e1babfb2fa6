package dev.foley.media;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;

import dev.foley.media.FfmpegProbe.Upright;
import dev.foley.prediction.FollowingPlan;
import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.Windows;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameFilter;
import org.bytedeco.javacv.FrameGrabber;

/**
 * The split of a long video whose windows follow its shots, with the cuts found in the split's
 * own decode (one pass over the picture, not a search of its own before the split):
 * <ol>
 * <li>one decoder reads the picture at the windows' size; each frame's thumbnail goes to the
 *     search for cuts ({@link SceneCuts.Detector}), the frame itself (upright, copied) into a
 *     short delay line;</li>
 * <li>a frame leaves the line once the cuts are known far enough past it that the windows it
 *     belongs to are settled ({@link FollowingPlan}: a few seconds, not a window), and goes to
 *     each of them;</li>
 * <li>two encoder threads (neighbouring windows on different ones) encode the windows as their
 *     frames come, each finished window handed on at once.</li>
 * </ol>
 * The frames in flight are copies held in a bounded pool (the decoder waits when the encoders lag),
 * so memory stays at a few seconds of small pictures. At the end the windows made are checked
 * against the plan over every cut found; they cannot differ (the plan guarantees it, and
 * {@code FollowingPlanTest} checks it), but if they ever did the split is redone from that plan.
 */
final class FollowingCut {

    /** What the split found and made. */
    record Result(List<Double> cuts, List<Windows.Window> plan, boolean redone) {
    }

    private FollowingCut() {
    }

    static Result cut(Path source, Ffmpeg.Probe p, PredictionRequest r, double seconds, Path dir, Ffmpeg.WindowSink done)
            throws IOException {
        FfmpegCut.checkPicture(p);
        int[] size = FfmpegCut.windowSize(p);
        double fps = FfmpegCut.windowFps(p);
        Long base = FfmpegCut.firstFrameTime(source, p.videoStream());
        if (base == null) {
            throw new Ffmpeg.UnreadableException("no frame could be decoded (a truncated or corrupt file)");
        }
        FollowingPlan plan = new FollowingPlan(r, seconds);
        SceneCuts.Detector search = new SceneCuts.Detector();
        int[] shown = Upright.shown(p.rotation(), size[0], size[1]);
        double sourceFps = p.frameRate() > 0 ? p.frameRate() : 30;
        long frameBytes = (long) shown[0] * shown[1] * 3 / 2;
        // Enough frames for the delay line (with room to spare), and up to two windows' worth for the encoders to work from.
        int least = (int) Math.ceil((Windows.lookahead(r) + 0.5) * sourceFps) + SceneCuts.PERSIST + 8;
        int most = (int) Math.ceil((Windows.lookahead(r) + 2.0 * r.media().windowSeconds()) * Math.min(sourceFps, 60));
        long memory = Runtime.getRuntime().maxMemory() / 4;
        int cap = (int) Math.max(least, Math.min(most, memory / Math.max(1, frameBytes)));
        Encoders encoders = new Encoders(dir, shown[0], shown[1], fps, done);
        Pool pool = new Pool(cap, encoders);
        Releaser releaser = new Releaser(encoders, fps);
        ArrayDeque<Held> delay = new ArrayDeque<>();
        try (FFmpegFrameGrabber g = FfmpegCut.pictureOnly(source, p.videoStream());
                Upright upright = new Upright(p.rotation(), size[0], size[1])) {
            g.setImageWidth(size[0]);
            g.setImageHeight(size[1]);
            g.setPixelFormat(AV_PIX_FMT_YUV420P);
            g.setVideoOption("threads", "1"); // frame threads measured no faster here, and less steady (BENCHMARKS.md)
            g.start();
            Frame f;
            while ((f = g.grabImage()) != null) {
                double t = (f.timestamp - base) / 1e6;
                if (t > seconds + 1e-6) {
                    break;
                }
                double cut = search.accept(t, SceneCuts.thumbnail(f));
                if (!Double.isNaN(cut)) {
                    plan.cut(cut);
                }
                plan.decided(search.decidedUpTo());
                delay.add(new Held(t, pool.copyOf(upright.apply(f), delay.size())));
                while (!delay.isEmpty() && delay.peek().t() <= plan.settled() + 1e-9) {
                    releaser.release(delay.poll(), plan.plan());
                }
            }
            plan.finish();
            while (!delay.isEmpty()) {
                releaser.release(delay.poll(), plan.plan());
            }
            releaser.finishAll(plan.plan());
            encoders.await();
        } catch (FrameGrabber.Exception | FrameFilter.Exception e) {
            throw new Ffmpeg.UnreadableException("the video could not be decoded (" + Ffmpeg.firstLine(e) + ")");
        } finally {
            encoders.shutdown();
            delay.forEach(h -> h.frame().release());
        }
        List<Windows.Window> whole = plan.plan();
        if (releaser.opened.equals(whole)) {
            return new Result(plan.cuts(), whole, false);
        }
        // Never expected (see FollowingPlan): the windows as the final plan lays them, from a split of its own.
        System.err.println("foley: the windows made while the picture streamed by differ from the plan; cutting again: "
                + releaser.opened + " vs " + whole);
        FfmpegCut.cut(source, p, whole, dir, done);
        return new Result(plan.cuts(), whole, true);
    }

    /** A decoded frame waiting in the delay line. */
    private record Held(double t, Pooled frame) {
    }

    /** A copy of a decoded picture, shared by the windows it goes to, back to the pool when the last is done with it. */
    private static final class Pooled {
        private final Pool pool;
        final ByteBuffer data;
        int width;
        int height;
        int depth;
        int channels;
        int stride;
        private int users = 1;

        Pooled(Pool pool, int bytes) {
            this.pool = pool;
            this.data = ByteBuffer.allocateDirect(bytes);
        }

        synchronized void retain() {
            users++;
        }

        void release() {
            boolean last;
            synchronized (this) {
                last = --users == 0;
            }
            if (last) {
                pool.giveBack(this);
            }
        }

        Frame frame() {
            Frame f = new Frame();
            f.imageWidth = width;
            f.imageHeight = height;
            f.imageDepth = depth;
            f.imageChannels = channels;
            f.imageStride = stride;
            f.image = new java.nio.Buffer[] {data.duplicate().clear()};
            return f;
        }
    }

    /** The copies: at most {@code cap} at once (the decoder waits for the encoders), more only if all are in the delay line. */
    private static final class Pool {
        private final int cap;
        private final Encoders encoders;
        private final ArrayDeque<Pooled> free = new ArrayDeque<>();
        private int made;

        Pool(int cap, Encoders encoders) {
            this.cap = cap;
            this.encoders = encoders;
        }

        Pooled copyOf(Frame f, int delayed) throws IOException {
            ByteBuffer src = ((ByteBuffer) f.image[0]).duplicate().clear();
            Pooled into = take(src.capacity(), delayed);
            into.data.clear();
            into.data.put(src);
            into.width = f.imageWidth;
            into.height = f.imageHeight;
            into.depth = f.imageDepth;
            into.channels = f.imageChannels;
            into.stride = f.imageStride;
            into.users = 1;
            return into;
        }

        private Pooled take(int bytes, int delayed) throws IOException {
            synchronized (this) {
                while (true) {
                    encoders.check();
                    Pooled p = free.poll();
                    if (p != null && p.data.capacity() >= bytes) {
                        return p;
                    }
                    // Growing past the cap only when every copy is waiting in the delay line (else the encoders free one soon).
                    if (p != null || made < cap || made - free.size() <= delayed) {
                        made += p == null ? 1 : 0;
                        return new Pooled(this, bytes);
                    }
                    try {
                        wait(50);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted while cutting the windows", e);
                    }
                }
            }
        }

        synchronized void giveBack(Pooled p) {
            free.add(p);
            notifyAll();
        }
    }

    /** Frames out of the delay line to their windows, in the order of time; windows finished as the frames pass their end. */
    private static final class Releaser {
        private final Encoders encoders;
        private final double fps;
        private final Map<Integer, Long> lastSlot = new HashMap<>();
        final List<Windows.Window> opened = new ArrayList<>();
        private int next; // the first window not yet finished

        Releaser(Encoders encoders, double fps) {
            this.encoders = encoders;
            this.fps = fps;
        }

        void release(Held h, List<Windows.Window> plan) {
            double t = h.t();
            while (next < plan.size() && t >= plan.get(next).end() - 1e-6) {
                finish(plan, next++);
            }
            for (int i = next; i < plan.size() && plan.get(i).start() <= t + 1e-6; i++) {
                Windows.Window w = plan.get(i);
                if (t >= w.end() || t < w.start() - 0.5 / fps) {
                    continue;
                }
                long slot = Math.max(0, Math.round((t - w.start()) * fps));
                if (slot <= lastSlot.getOrDefault(i, -1L)) {
                    continue; // above 25 fps: frames between slots are dropped
                }
                lastSlot.put(i, slot);
                h.frame().retain();
                encoders.record(i, h.frame(), slot);
            }
            h.frame().release();
        }

        void finishAll(List<Windows.Window> plan) {
            while (next < plan.size()) {
                finish(plan, next++);
            }
        }

        private void finish(List<Windows.Window> plan, int i) {
            opened.add(plan.get(i));
            encoders.finish(i, plan.get(i));
        }
    }

    /** Two encoder threads; window {@code i} is encoded on thread {@code i % 2}, its frames in order. */
    private static final class Encoders {
        private final ExecutorService[] threads = {Executors.newSingleThreadExecutor(), Executors.newSingleThreadExecutor()};
        private final Map<Integer, FFmpegFrameRecorder> open = new java.util.concurrent.ConcurrentHashMap<>();
        private final AtomicReference<Throwable> failed = new AtomicReference<>();
        private final Path dir;
        private final int width;
        private final int height;
        private final double fps;
        private final Ffmpeg.WindowSink done;

        Encoders(Path dir, int width, int height, double fps, Ffmpeg.WindowSink done) {
            this.dir = dir;
            this.width = width;
            this.height = height;
            this.fps = fps;
            this.done = done;
        }

        void record(int i, Pooled frame, long slot) {
            threads[i % 2].execute(() -> {
                try {
                    if (failed.get() == null) {
                        FFmpegFrameRecorder r = open.get(i);
                        if (r == null) {
                            r = FfmpegCut.windowRecorder(clip(i), width, height, fps);
                            open.put(i, r);
                        }
                        r.setFrameNumber((int) slot);
                        r.record(frame.frame(), AV_PIX_FMT_YUV420P);
                    }
                } catch (Throwable e) {
                    failed.compareAndSet(null, e);
                } finally {
                    frame.release();
                }
            });
        }

        void finish(int i, Windows.Window w) {
            threads[i % 2].execute(() -> {
                try {
                    if (failed.get() != null) {
                        return;
                    }
                    FFmpegFrameRecorder r = open.remove(i);
                    if (r == null) {
                        throw FfmpegCut.noFrames(i, w);
                    }
                    r.stop();
                    r.release();
                    done.accept(i, clip(i));
                } catch (Throwable e) {
                    failed.compareAndSet(null, e);
                }
            });
        }

        private Path clip(int i) {
            return dir.resolve("in-" + i + ".mp4");
        }

        /** Throws what an encoder thread failed with, if one has. */
        void check() throws IOException {
            Throwable e = failed.get();
            if (e instanceof IOException io) {
                throw io;
            }
            if (e instanceof RuntimeException re) {
                throw re;
            }
            if (e != null) {
                throw new IOException(e);
            }
        }

        /** Waits for every window handed over to be encoded and passed on. */
        void await() throws IOException {
            for (ExecutorService t : threads) {
                t.shutdown();
            }
            try {
                for (ExecutorService t : threads) {
                    t.awaitTermination(1, TimeUnit.HOURS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while encoding the windows", e);
            }
            check();
        }

        /** Stops the threads (after a failure: once they have stopped) and closes what they left open. */
        void shutdown() {
            for (ExecutorService t : threads) {
                t.shutdownNow();
            }
            try {
                for (ExecutorService t : threads) {
                    t.awaitTermination(1, TimeUnit.MINUTES);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (FFmpegFrameRecorder r : open.values()) {
                Ffmpeg.closeQuietly(r);
            }
        }
    }
}
