package dev.foley.media;

import dev.foley.pipeline.MediaWork;
import dev.foley.pipeline.MediaWork.MediaException;
import dev.foley.prediction.MediaOptions;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.Windows;
import dev.foley.store.OutputStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A long video's windows joined into the model's sound: each window's own output, or with takes
 * each window's best take (every take checked against the window's picture), with the report of
 * the choice. The windows' outputs are read from our bucket a few at a time.
 */
final class WindowJoin {

    private final OutputStore bucket;

    WindowJoin(OutputStore bucket) {
        this.bucket = bucket;
    }

    /** A long video's model sound, its windows joined; with takes, each window's best take, and the report of the choice. */
    record Joined(float[][] sound, com.fasterxml.jackson.databind.node.ArrayNode windows) {
    }

    /** A long video's windows joined into one sound: each window's own, or with takes the best of its takes. */
    Joined joined(Prediction p, List<String> keys, Path dir) throws MediaException, IOException {
        MediaOptions o = p.request().media();
        List<Windows.Window> plan = p.windows().plan(p.request());
        var out = p.request().spec().output();
        int rate = out.sampleRate();
        int total = (int) Math.round(p.windows().seconds() * rate);
        int n = p.takesPerWindow();
        if (n == 1) {
            List<float[][]> tracks = inParallel(keys.size(), i -> windowSound(keys.get(i), dir, "window " + (i + 1) + "'s", rate, out.channels()));
            return new Joined(Sound.joinChannels(plan, tracks, rate, total, o.overlapSeconds()), null);
        }
        record Best(float[][] track, com.fasterxml.jackson.databind.node.ObjectNode report) {
        }
        List<Best> best = inParallel(plan.size(), w -> {
            Windows.Window win = plan.get(w);
            // The window's picture (its clip, cut into our bucket for the provider): its motion onsets once, for every take.
            Path clip = dir.resolve("clip-" + w);
            List<MotionAnalysis.Onset> motion = null;
            String noMotion = "no_motion: the window's clip is no longer in our bucket";
            if (bucket.download(MediaWork.windowClipKey(p.id(), w), clip)) {
                try {
                    motion = MotionAnalysis.of(clip, win.length()).onsets();
                } catch (MotionAnalysis.UnreadableVideoException e) {
                    noMotion = "no_motion: the window's picture could not be read (" + e.getMessage() + ")";
                }
                Files.deleteIfExists(clip);
            }
            var report = dev.foley.json.Json.object().put("index", w).put("start", win.start()).put("end", win.end());
            var takes = report.putArray("takes");
            float[][] chosen = null;
            int chosenIndex = -1;
            double chosenScore = Double.NEGATIVE_INFINITY;
            for (int t = 0; t < n; t++) {
                float[][] track = windowSound(keys.get(w * n + t), dir, "window " + (w + 1) + ", take " + (t + 1) + "'s", rate, out.channels());
                SoundCheck.Sync sync = motion == null ? new SoundCheck.Sync(null, null, noMotion)
                        : SoundCheck.sync(motion, SoundCheck.onsets(SoundCheck.mono(track), rate));
                SoundCheck c = SoundCheck.of(track, rate, sync);
                takes.addObject().put("index", t).put("score", c.score()).set("quality", ResultCheck.qualityOf(c, List.of()));
                if (c.score() > chosenScore) { // the first take first among equals
                    chosen = track;
                    chosenIndex = t;
                    chosenScore = c.score();
                }
            }
            report.put("take", chosenIndex);
            return new Best(chosen, report);
        });
        var windows = dev.foley.json.Json.MAPPER.createArrayNode();
        List<float[][]> tracks = new ArrayList<>();
        for (Best b : best) {
            tracks.add(b.track());
            windows.add(b.report());
        }
        best.clear();
        return new Joined(Sound.joinChannels(plan, tracks, rate, total, o.overlapSeconds()), windows);
    }

    /** A window's (or a window take's) sound, fetched from our bucket and decoded. */
    private float[][] windowSound(String key, Path dir, String whose, int rate, int channels) throws MediaException, IOException {
        Path f = Files.createTempFile(dir, "window", "");
        try {
            if (!bucket.download(key, f)) {
                throw new MediaException(whose + " sound is missing from our bucket", true);
            }
            return FfmpegMedia.soundOf(f, whose + " output", rate, channels);
        } finally {
            Files.deleteIfExists(f);
        }
    }

    /** A step of media work on part {@code i} of several. */
    private interface Part<T> {
        T run(int i) throws Exception;
    }

    /** {@code count} parts done a few at a time (fetching from our bucket overlaps decoding), their results in order. */
    private static <T> List<T> inParallel(int count, Part<T> part) throws MediaException, IOException {
        List<java.util.concurrent.Future<T>> parts = new ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(Math.min(4, Math.max(1, count)))) {
            for (int i = 0; i < count; i++) {
                int n = i;
                parts.add(pool.submit(() -> part.run(n)));
            }
            List<T> out = new ArrayList<>();
            for (var f : parts) {
                out.add(f.get());
            }
            return out;
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof MediaException m) {
                throw m;
            }
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MediaException("interrupted while reading the windows' sound", true);
        }
    }
}
