package dev.foley.media;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.prediction.MediaOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A result's sound check as clients read it ({@link dev.foley.view.Quality}), and the score takes are ranked by. */
final class ResultCheck {

    private ResultCheck() {
    }

    /** A sound check as clients read it, and the score takes are ranked by. */
    record Checked(com.fasterxml.jackson.databind.node.ObjectNode json, double score) {
    }

    /** A check as clients read it ({@link dev.foley.view.Quality}), with these flags (its own, or more). */
    static com.fasterxml.jackson.databind.node.ObjectNode qualityOf(SoundCheck c, List<String> flags) {
        SoundCheck.Sync s = c.sync();
        return dev.foley.view.Quality.json(s == null ? null : new dev.foley.view.Quality.Sync(s.offsetMs(), s.confidence(), s.reason()),
                c.loudness().measured() ? c.loudness().integratedLufs() : null, c.loudness().truePeakDbtp(), c.loudness().rangeLu(),
                flags.isEmpty() ? c.flags() : flags);
    }

    /**
     * The sound check of a result: its sync (the model's own sound against the picture's motion; a
     * picture that cannot be read says so), its loudness and flags, as the JSON clients read, and its score.
     */
    static Checked check(float[][] sound, float[] modelSound, Path video, int total, MediaOptions o, boolean missed) {
        return check(sound, modelSound, Ffmpeg.RATE, video, List.of(), total, o, missed);
    }

    /**
     * The same, of sound at {@code rate} Hz (the model's own), over a picture whose shots change at
     * {@code cuts} (a long video's, found when it was cut): the change at a cut is not lined up with
     * the sound ({@link MotionAnalysis#withoutCuts}).
     */
    static Checked check(float[][] sound, float[] modelSound, int rate, Path video, List<Double> cuts, int total, MediaOptions o,
            boolean missed) {
        SoundCheck.Sync sync = null;
        if (video != null) {
            try {
                var motion = MotionAnalysis.of(video, Math.max(1, total / (double) rate)).withoutCuts(cuts);
                sync = SoundCheck.sync(motion.onsets(), SoundCheck.onsets(modelSound, rate));
            } catch (MotionAnalysis.UnreadableVideoException e) {
                sync = new SoundCheck.Sync(null, null, "no_motion: the picture could not be read (" + e.getMessage() + ")");
            }
        }
        SoundCheck c = SoundCheck.of(sound, rate, sync);
        List<String> flags = new ArrayList<>(c.flags());
        if (missed) {
            flags.add("loudness_target_missed");
        }
        var q = qualityOf(c, flags);
        if (o.loudnessLufs() != null) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) q.get("loudness")).put("target_lufs", o.loudnessLufs());
        }
        return new Checked(q, c.score());
    }
}
