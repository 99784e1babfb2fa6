package dev.foley.local.scenes;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.local.bench.Clips;
import dev.foley.media.Ffmpeg;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shot cuts found in generated clips whose truth is planted: {@link Clips#shots} draws each shot
 * with its own grey level and stripes and a square bouncing in it, changes shot at once at frames
 * we choose, and can add one-frame white flashes and a one-second fade to black and back. The
 * cuts must be found within one frame; a flash, a fade and the bouncing (fast motion) are not cuts;
 * a shot shorter than a second joins its neighbour.
 */
class SceneCutsTest {

    @TempDir
    Path dir;

    static final double[] IMPACTS = {0.8, 1.9, 3.1, 4.4, 5.2, 6.7, 8.1, 9.6, 10.9, 12.2, 13.8, 15.1, 16.4, 17.7, 18.9};

    @Test
    void hardCutsAreFoundWithinOneFrameAndAFlashAFadeAndMotionAreNot() throws Exception {
        double fps = 25;
        double[] cuts = {4.0, 9.52, 14.96};
        Path clip = Clips.shots(dir.resolve("shots.mp4"), 320, 180, fps, 20, cuts, IMPACTS, new double[] {6.12, 12.4}, 16.5);
        var probe = Ffmpeg.probe(clip);
        List<Double> found = Ffmpeg.sceneCuts(clip, probe, probe.seconds());
        assertEquals(cuts.length, found.size(), "three cuts, no flash, no fade: " + found);
        for (int i = 0; i < cuts.length; i++) {
            assertEquals(cuts[i], found.get(i), 1 / fps + 1e-6, "cut " + i + " within one frame: " + found);
        }
        // A regenerate's stretch and context only: decoded from the keyframe before it, the same cuts inside it.
        List<Double> inside = Ffmpeg.sceneCuts(clip, probe, 8.3, 16.2);
        assertEquals(2, inside.size(), "the cuts at 9.52 and 14.96 s: " + inside);
        assertEquals(9.52, inside.get(0), 1 / fps + 1e-6);
        assertEquals(14.96, inside.get(1), 1 / fps + 1e-6);
    }

    @Test
    void aSingleShotHasNoCutAndAShotUnderASecondJoinsANeighbour() throws Exception {
        Path one = Clips.shots(dir.resolve("one.mp4"), 320, 180, 30, 10, new double[0], IMPACTS, new double[0], Double.NaN);
        var p1 = Ffmpeg.probe(one);
        assertEquals(List.of(), Ffmpeg.sceneCuts(one, p1, p1.seconds()), "one shot, however much it moves");
        // A 0.4 s shot between 5.0 and 5.4 s: it joins the one before it (a rule that looks no more than a second ahead).
        Path brief = Clips.shots(dir.resolve("brief.mp4"), 320, 180, 25, 10, new double[] {5.0, 5.4, 8.0}, IMPACTS, new double[0],
                Double.NaN);
        var p2 = Ffmpeg.probe(brief);
        List<Double> found = Ffmpeg.sceneCuts(brief, p2, p2.seconds());
        assertEquals(2, found.size(), "the brief shot is not a scene of its own: " + found);
        assertEquals(5.4, found.get(0), 0.041);
        assertEquals(8.0, found.get(1), 0.041);
    }

    /**
     * The split that follows the shots finds them in its own decode: the same cuts as the search
     * of its own, and windows exactly as the plan over those cuts lays them, each clip as long as
     * its window (probed after it is made), none spanning a cut.
     */
    @Test
    void theSplitFindsTheSameCutsInItsOwnDecodeAndCutsThePlannedWindows() throws Exception {
        double fps = 25;
        double[] cuts = {4.0, 9.52, 14.96, 15.6, 21.0};
        Path clip = Clips.shots(dir.resolve("split.mp4"), 320, 180, fps, 30, cuts, IMPACTS, new double[] {6.12, 12.4}, 24.5);
        var probe = Ffmpeg.probe(clip);
        List<Double> searched = Ffmpeg.sceneCuts(clip, probe, probe.seconds());
        var request = dev.foley.prediction.PredictionRequest.ofModel(dev.foley.prediction.Kind.LONG, dev.foley.model.Models.MMAUDIO_V2,
                dev.foley.json.Json.object().put("video", "https://x/v.mp4").put("prompt", "p"));
        java.util.Map<Integer, Double> made = new java.util.concurrent.ConcurrentHashMap<>();
        List<Double> found = Ffmpeg.cutFollowingShots(clip, probe, request, probe.seconds(), dir, (i, f) -> {
            try {
                made.put(i, Ffmpeg.probe(f).seconds());
            } catch (Ffmpeg.UnreadableException e) {
                throw new java.io.IOException(e);
            }
            java.nio.file.Files.delete(f);
        });
        assertEquals(searched, found, "the same cuts either way");
        assertEquals(List.of(4.0, 9.52, 15.6, 21.0), found.stream().map(c -> Math.round(c * 25) / 25.0).toList(),
                "the 0.64 s shot at 14.96 s joins the one before it");
        List<dev.foley.prediction.Windows.Window> plan = dev.foley.prediction.Windows.planFor(request, probe.seconds(), found);
        assertEquals(plan.size(), made.size(), "every window made once: " + made.keySet());
        for (var w : plan) {
            assertEquals(w.length(), made.get(w.index()), 1.5 / fps, "window " + w + "'s clip");
            for (double c : found) {
                assertFalse(w.start() < c - 1e-6 && w.end() > c + 1e-6, w + " spans the cut at " + c);
            }
        }
    }
}
