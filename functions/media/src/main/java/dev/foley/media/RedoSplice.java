package dev.foley.media;

import dev.foley.pipeline.MediaWork;
import dev.foley.pipeline.MediaWork.MediaException;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.Redo;
import dev.foley.store.OutputStore;
import dev.foley.time.Deadline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A regenerate's media work ({@link Redo}): its picture read from where its parent's can still be
 * found, and its new stretch spliced into the parent's result: the parent's sound, sample for
 * sample, outside {@code [start, end)}; inside it the new sound (with the clip's own sound mixed or
 * ducked under it as the parent's was), an equal-power crossfade of {@link Redo#crossfade()} just
 * inside each edge so neither edge clicks.
 */
final class RedoSplice {

    private final FfmpegMedia media;
    private final OutputStore bucket;

    RedoSplice(FfmpegMedia media, OutputStore bucket) {
        this.media = media;
        this.bucket = bucket;
    }

    /** The picture of {@code r}'s parent into {@code to}: the first of its sources still there. */
    void source(Redo r, Path to, Deadline until) throws MediaException, IOException {
        String tried = "";
        for (String s : r.sources()) {
            if (s.startsWith(MediaWork.WORK_REF)) {
                if (bucket.download(s.substring(MediaWork.WORK_REF.length()), to)) {
                    return;
                }
                tried = "our bucket's copies have expired";
            } else {
                media.fetch(s, to, until, "video");
                return;
            }
        }
        throw new MediaException("the video of prediction " + r.parentId() + " can no longer be read (" + (tried.isEmpty()
                ? "no copy of it is kept" : tried) + ")", false);
    }

    /** Checks that {@code r}'s stretch lies inside the {@code covered} seconds of its parent's video. */
    static void inside(Redo r, double covered) throws MediaException {
        if (r.end() > covered + 0.05) {
            throw new MediaException(String.format(Locale.ROOT, "end: %.2f s is past the end of the %.2f s prediction %s covers",
                    r.end(), covered, r.parentId()), false);
        }
    }

    /** The parent's result decoded, in {@code channels} at most, at {@code rate}. */
    float[][] parentSound(Redo r, Path dir, int rate, int channels) throws MediaException, IOException {
        Path f = dir.resolve("parent-result");
        if (!bucket.download(r.parentOutput(), f)) {
            throw new MediaException("the result of prediction " + r.parentId() + " is no longer in our bucket", false);
        }
        try {
            return FfmpegMedia.soundOf(f, "the result of prediction " + r.parentId(), rate, channels);
        } finally {
            Files.deleteIfExists(f);
        }
    }

    /**
     * {@code parent} with {@code [start, end)} replaced by {@code fresh} (the new sound at its
     * place in the video, as long as the parent's or longer): equal-power crossfades just inside
     * each edge; every sample outside the stretch is the parent's own.
     */
    static float[][] splice(float[][] parent, float[][] fresh, int rate, Redo r) {
        int channels = parent.length; // the parent's result keeps its channels
        int length = parent[0].length;
        float[][] out = new float[channels][];
        int a = (int) Math.min(length, Math.round(r.start() * rate));
        int b = (int) Math.min(length, Math.round(r.end() * rate));
        int f = Math.max(1, (int) Math.round(r.crossfade() * rate));
        for (int c = 0; c < channels; c++) {
            float[] p = parent[Math.min(c, parent.length - 1)];
            float[] n = fresh[Math.min(c, fresh.length - 1)];
            out[c] = p.clone();
            for (int s = a; s < b; s++) {
                double theta = Math.PI / 2;
                if (s < a + f) {
                    theta = Math.PI / 2 * (s - a + 0.5) / f;
                } else if (s >= b - f) {
                    theta = Math.PI / 2 * (b - s - 0.5) / f;
                }
                double fresher = s < n.length ? n[s] : 0;
                out[c][s] = (float) (Math.cos(theta) * p[s] + Math.sin(theta) * fresher);
            }
        }
        return out;
    }
}
