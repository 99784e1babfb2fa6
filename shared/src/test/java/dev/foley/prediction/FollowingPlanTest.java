package dev.foley.prediction;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.json.Json;
import dev.foley.model.Models;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The windows planned while the picture streams by ({@link FollowingPlan}) against the plan of
 * the whole video ({@link Windows#planFor} over every cut): a frame handed to its windows as soon
 * as it is settled must go to exactly the windows, at exactly the places, the final plan gives
 * it. Simulated as the split runs: frames at 25 fps, each cut known three frames after it (the
 * search's own lag), cuts drawn at random with many close together (flash-like shots that must
 * merge), for MMAudio and for Kling (whose shortest request is 3 s), with and without segments.
 */
class FollowingPlanTest {

    @Test
    void everyFrameSettledEarlyGoesToTheWindowsOfTheFinalPlan() {
        Random rnd = new Random(7);
        int checked = 0;
        for (int round = 0; round < 400; round++) {
            double seconds = Math.round((20 + rnd.nextDouble() * 200) * 25) / 25.0;
            List<Double> raw = new ArrayList<>();
            for (double t = 0.04 * (1 + rnd.nextInt(50)); t < seconds; ) {
                raw.add(Math.round(t * 25) / 25.0);
                t += rnd.nextInt(4) == 0 ? 0.04 * (1 + rnd.nextInt(40)) : 0.5 + rnd.nextDouble() * 30;
            }
            PredictionRequest r = request(rnd, seconds);
            FollowingPlan live = new FollowingPlan(r, seconds);
            List<List<String>> given = new ArrayList<>();
            List<Windows.Window> closed = new ArrayList<>();
            List<Double> frames = new ArrayList<>();
            int released = 0;
            int nextCut = 0;
            for (int i = 0; i / 25.0 < seconds; i++) {
                frames.add(i / 25.0);
                double decided = (i - 3) / 25.0;
                while (nextCut < raw.size() && raw.get(nextCut) <= decided + 1e-9) {
                    live.cut(raw.get(nextCut++));
                }
                live.decided(decided);
                while (released < frames.size() && frames.get(released) <= live.settled() + 1e-9) {
                    release(live.plan(), frames.get(released++), given, closed);
                }
            }
            while (nextCut < raw.size()) {
                live.cut(raw.get(nextCut++));
            }
            live.finish();
            while (released < frames.size()) {
                release(live.plan(), frames.get(released++), given, closed);
            }
            closed.addAll(live.plan().subList(closed.size(), live.plan().size()));
            List<Windows.Window> whole = Windows.planFor(r, seconds, cutsOf(raw, seconds));
            assertEquals(whole, live.plan(), "round " + round);
            assertEquals(whole, closed, "each window, when the split closes it, is the final plan's: round " + round);
            for (int f = 0; f < frames.size(); f++) {
                assertEquals(containing(whole, frames.get(f)), given.get(f), "round " + round + ", frame at " + frames.get(f)
                        + " s, cuts " + raw + ", " + r.media().segments());
                checked++;
            }
        }
        assertTrue(checked > 100_000, "frames checked: " + checked);
    }

    @Test
    void windowsInAStretchStartEveryStepAndTheLastEndsAtItsEndNoShorterThanTheLeast() {
        // 25 s: 0, 7, 14, then the last from 21 to 25 (the classic plan would end 17-25).
        assertEquals(List.of(new Windows.Window(0, 0, 8), new Windows.Window(1, 7, 8), new Windows.Window(2, 14, 8),
                new Windows.Window(3, 21, 4)), Windows.following(25, 8, 1, 2));
        // 22.5 s: the last would be 1.5 s (21-22.5); at least 2 s, it starts at 20.5.
        assertEquals(new Windows.Window(3, 20.5, 2), Windows.following(22.5, 8, 1, 2).get(3));
        // As many windows as the classic plan, never less than the overlap between two.
        for (double s = 0.5; s < 120; s += 0.37) {
            List<Windows.Window> w = Windows.following(s, 8, 1, 2);
            assertEquals(Windows.plan(s, 8, 1).size(), w.size(), "at " + s);
            assertEquals(s, w.get(w.size() - 1).end(), 1e-6);
            for (int i = 0; i + 1 < w.size(); i++) {
                assertTrue(w.get(i).end() - w.get(i + 1).start() >= 1 - 1e-6, "overlap at " + s + ": " + w);
            }
            assertTrue(w.size() == 1 || w.get(w.size() - 1).length() >= 2 - 1e-6, "the last at " + s + ": " + w);
        }
    }

    private static PredictionRequest request(Random rnd, double seconds) {
        var n = Json.object().put("video", "https://x/v.mp4").put("prompt", "p");
        boolean kling = rnd.nextBoolean();
        int window = kling ? 3 + rnd.nextInt(18) : 4 + rnd.nextInt(7);
        double overlap = 0.5 + rnd.nextInt(4) * 0.5;
        n.put("window_seconds", window).put("overlap_seconds", overlap > window / 2.0 ? 0.5 : overlap);
        if (rnd.nextBoolean()) {
            var segs = n.putArray("segments");
            double a = rnd.nextDouble() * seconds / 3;
            segs.addObject().put("start", Math.round(a * 10) / 10.0).put("end", Math.min(seconds, Math.round((a + 1 + rnd.nextDouble() * 20) * 10) / 10.0))
                    .put("prompt", "rain");
        }
        PredictionRequest r = PredictionRequest.ofModel(Kind.LONG, kling ? Models.KLING : Models.MMAUDIO_V2, n);
        assertTrue(r.media().sceneCuts());
        return r;
    }

    private static List<Double> cutsOf(List<Double> raw, double seconds) {
        List<Double> b = Windows.stretches(seconds, raw, Windows.MIN_SHOT);
        return b.subList(1, b.size() - 1);
    }

    /**
     * A frame settled, handled as the split does: the windows ending by its time are closed (their
     * length is then fixed), and it goes to the windows it lies in (their index and start fix its
     * place in each).
     */
    private static void release(List<Windows.Window> plan, double t, List<List<String>> given, List<Windows.Window> closed) {
        while (closed.size() < plan.size() && t >= plan.get(closed.size()).end() - 1e-6) {
            closed.add(plan.get(closed.size()));
        }
        given.add(containing(plan, t));
    }

    /** The windows a frame at {@code t} goes to (as the split decides it: from half a frame before a window's start to its end), by index and start. */
    private static List<String> containing(List<Windows.Window> plan, double t) {
        return plan.stream().filter(w -> t >= w.start() - 0.02 && t < w.end() - 1e-6).map(w -> w.index() + "@" + w.start()).toList();
    }
}
