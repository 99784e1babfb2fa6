package dev.foley.prediction;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Cutting a video into windows: pure arithmetic on its length and the request's options. */
class WindowsTest {

    @Test
    void windowsOverlapByTheOverlapAndTheLastEndsAtTheEnd() {
        List<Windows.Window> w = Windows.plan(45, 8, 1);
        assertEquals(List.of(0.0, 7.0, 14.0, 21.0, 28.0, 35.0, 37.0), w.stream().map(Windows.Window::start).toList());
        for (int i = 0; i + 1 < w.size(); i++) {
            assertTrue(w.get(i).end() - w.get(i + 1).start() >= 1 - 1e-9, "windows " + i + " and " + (i + 1) + " overlap by at least 1 s");
        }
        assertEquals(45.0, w.get(w.size() - 1).end(), 1e-9);
        assertTrue(w.stream().allMatch(x -> x.length() == 8 && x.providerDuration() == 8));
    }

    @Test
    void coversEveryLengthAndOptionWithoutAGap() {
        for (double seconds = 0.5; seconds <= 600; seconds += 3.7) {
            for (int window = 4; window <= 10; window += 3) {
                for (double overlap : new double[] {0.5, 1.25, 2}) {
                    List<Windows.Window> w = Windows.plan(seconds, window, overlap);
                    assertEquals(0.0, w.get(0).start());
                    assertEquals(seconds, w.get(w.size() - 1).end(), 1e-6);
                    for (int i = 0; i + 1 < w.size(); i++) {
                        assertTrue(w.get(i).end() - w.get(i + 1).start() >= overlap - 1e-6, seconds + "/" + window + "/" + overlap);
                    }
                    int expected = seconds <= window ? 1 : (int) Math.ceil((seconds - window) / (window - overlap) - 1e-9) + 1;
                    assertEquals(expected, w.size());
                }
            }
        }
    }

    @Test
    void aShortVideoIsOneWindowOfItsLength() {
        List<Windows.Window> w = Windows.plan(5.3, 8, 1);
        assertEquals(1, w.size());
        assertEquals(5.3, w.get(0).length(), 1e-9);
        assertEquals(6, w.get(0).providerDuration());
    }

    @Test
    void seedsDeriveFromTheRequestsAndStayInRange() {
        assertNull(Windows.seedOf(null, 3));
        assertEquals(42, Windows.seedOf(42, 0));
        assertNotEquals(Windows.seedOf(42, 1), Windows.seedOf(42, 2));
        assertTrue(Windows.seedOf(65535, 99) >= 0 && Windows.seedOf(65535, 99) <= 65535);
    }

    @Test
    void noWindowCrossesAnEdgeAndWindowsMeetExactlyAtEach() {
        List<Double> edges = List.of(12.4, 30.0, 31.5);
        List<Windows.Window> w = Windows.plan(45, 8, 1, edges, 1.0);
        for (Windows.Window x : w) {
            for (double e : edges) {
                assertFalse(x.start() < e - 1e-9 && x.end() > e + 1e-9, "window " + x + " crosses the edge at " + e);
            }
        }
        for (double e : edges) {
            assertTrue(w.stream().anyMatch(x -> Math.abs(x.end() - e) < 1e-9), "a window ends at " + e);
            assertTrue(w.stream().anyMatch(x -> Math.abs(x.start() - e) < 1e-9), "a window starts at " + e);
        }
        for (int i = 0; i + 1 < w.size(); i++) {
            double next = w.get(i + 1).start();
            boolean atEdge = edges.stream().anyMatch(e -> Math.abs(e - next) < 1e-9);
            assertEquals(atEdge, Windows.meetAtEdge(w, i), "windows " + i + "/" + (i + 1) + ": " + w);
            if (!atEdge) {
                assertTrue(w.get(i).end() - w.get(i + 1).start() >= 1 - 1e-9, "inside a stretch they overlap");
            }
        }
        assertEquals(0.0, w.get(0).start());
        assertEquals(45.0, w.get(w.size() - 1).end(), 1e-9);
        assertEquals(List.of(0.0, 4.4, 12.4, 19.4, 22.0, 30.0, 31.5, 37.0), w.stream().map(Windows.Window::start).toList());
    }

    @Test
    void aStretchShorterThanTheShortestJoinsTheOneBeforeIt() {
        // 0.6 s between 20.0 and 20.6: joins [10, 20] (the edge at 20 goes), so the plan can be made as the picture streams by.
        List<Double> bounds = Windows.stretches(30, List.of(10.0, 20.0, 20.6, 24.0), 3.0);
        assertEquals(List.of(0.0, 10.0, 20.6, 24.0, 30.0), bounds);
        // Several short ones in a row join the one before them all.
        assertEquals(List.of(0.0, 11.0, 12.5, 30.0), Windows.stretches(30, List.of(10.0, 10.5, 11.0, 12.5), 1.0));
        // A model whose shortest request is 3 s: a 2 s first shot joins the next.
        assertEquals(List.of(0.0, 9.0, 30.0), Windows.stretches(30, List.of(2.0, 9.0), 3.0));
        // Every stretch too short: one stretch.
        assertEquals(List.of(0.0, 2.5), Windows.stretches(2.5, List.of(1.0, 2.0), 3.0));
        // Edges at the ends or outside are ignored.
        assertEquals(List.of(0.0, 30.0), Windows.stretches(30, List.of(0.0, 30.0, 45.0, -1.0), 1.0));
    }

    @Test
    void requestsFollowCutsAndSegmentsUnlessSceneCutsIsOff() {
        var segments = List.of(new Segment(0, 12, "rain on a tin roof", null), new Segment(12, 30, "a busy kitchen", "music"));
        var o = new MediaOptions("replace", 1, null, 8, 1, true, null, -1, 1, true, segments);
        var r = new PredictionRequest(Kind.LONG, "https://x/v.mp4", "p", "", 25, 0, 4.5, false, null, false, o);
        List<Windows.Window> w = Windows.planFor(r, 40, List.of(20.0));
        assertTrue(w.stream().noneMatch(x -> x.start() < 12 - 1e-9 && x.end() > 12 + 1e-9), "the segment edge at 12 s: " + w);
        assertTrue(w.stream().noneMatch(x -> x.start() < 20 - 1e-9 && x.end() > 20 + 1e-9), "the cut at 20 s: " + w);
        assertTrue(w.stream().noneMatch(x -> x.start() < 30 - 1e-9 && x.end() > 30 + 1e-9), "the segment's end at 30 s: " + w);
        var off = new MediaOptions("replace", 1, null, 8, 1, true, null, -1, 1, false, List.of());
        var fixed = new PredictionRequest(Kind.LONG, "https://x/v.mp4", "p", "", 25, 0, 4.5, false, null, false, off);
        assertEquals(Windows.plan(40, 8, 1), Windows.planFor(fixed, 40, List.of(20.0)), "scene_cuts false: today's fixed windows");
    }

    @Test
    void aPlanKeepsTheRuleItWasCutBy() {
        var o = new MediaOptions("replace", 1, null, 8, 1, true, null, -1, 1, true, List.of());
        var r = new PredictionRequest(Kind.LONG, "https://x/v.mp4", "p", "", 25, 0, 4.5, false, null, false, o);
        List<Double> cuts = List.of(10.0, 20.0, 20.6, 24.0);
        // Rule 2 (now): a shot's windows from its first frame, the last ends at the cut; [20, 20.6] joins the shot before.
        assertEquals(List.of(0.0, 7.0, 10.0, 17.0, 20.6, 24.0),
                new Windows(30, 6, 0, 2, cuts).plan(r).stream().map(Windows.Window::start).toList());
        // Rule 1 (stored before): the last window of a stretch moved back to end at its end; [20, 20.6] joined its shorter neighbour.
        assertEquals(List.of(0.0, 2.0, 10.0, 12.0, 20.0, 24.0),
                new Windows(30, 6, 0, 2, cuts, 1).plan(r).stream().map(Windows.Window::start).toList());
    }

    @Test
    void scenesAreTheStretchesBetweenCuts() {
        var s = Windows.scenes(30, List.of(10.0, 21.5));
        assertEquals(3, s.size());
        assertArrayEquals(new double[] {0, 10}, s.get(0));
        assertArrayEquals(new double[] {21.5, 30}, s.get(2));
        assertEquals(1, Windows.scenes(30, List.of()).size());
    }
}
