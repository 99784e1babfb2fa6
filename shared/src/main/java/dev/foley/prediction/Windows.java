package dev.foley.prediction;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * How a long prediction is cut, and how far it has got (stored on the parent item once the media
 * function has probed the video). The cut itself is a pure function of the length and the
 * request's options, so every step that needs it computes the same windows.
 *
 * @param seconds     how much of the video the sound covers (the whole video, or the requested duration if shorter)
 * @param total       how many windows
 * @param done        how many are finished (their audio is in our bucket)
 * @param concurrency at most this many windows are at the provider at once
 * @param cuts        the shot cuts found in the video (seconds, ascending; empty: one shot, or not looked for)
 */
public record Windows(double seconds, int total, int done, int concurrency, List<Double> cuts) {

    /** Shots shorter than this join a neighbour (a cut must leave a second of picture on each side to count). */
    public static final double MIN_SHOT = 1.0;

    public Windows {
        cuts = cuts == null ? List.of() : List.copyOf(cuts);
    }

    public Windows(double seconds, int total, int done, int concurrency) {
        this(seconds, total, done, concurrency, List.of());
    }

    /** One window: where it starts in the video, how long its clip is, the duration asked of the provider. */
    public record Window(int index, double start, double length) {
        public double end() {
            return start + length;
        }

        /** The provider's {@code duration}: whole seconds, at least the clip. */
        public int providerDuration() {
            return (int) Math.max(1, Math.ceil(length - 1e-6));
        }
    }

    public Windows withDone(int n) {
        return new Windows(seconds, total, n, concurrency, cuts);
    }

    /** The windows of {@code r} over this video: {@link #planFor} with the cuts found. */
    public List<Window> plan(PredictionRequest r) {
        return planFor(r, seconds, cuts);
    }

    /**
     * The windows of request {@code r} over {@code seconds} of video whose shots change at
     * {@code cuts}: no window crosses a hard edge (a shot cut, unless {@code scene_cuts} is off; a
     * segment's start or end); inside each stretch between edges, windows as {@link #plan(double, int, double)}
     * cuts a video. A stretch shorter than the model's shortest request (or than {@link #MIN_SHOT})
     * is merged into its shorter neighbour (the edge between them is dropped).
     */
    public static List<Window> planFor(PredictionRequest r, double seconds, List<Double> cuts) {
        MediaOptions o = r.media();
        List<Double> edges = new ArrayList<>();
        if (o.sceneCuts()) {
            edges.addAll(cuts);
        }
        for (Segment g : o.segments()) {
            edges.add(g.start());
            edges.add(g.end());
        }
        double shortest = Math.max(MIN_SHOT, r.spec().limits().minSeconds());
        if (o.redo() == null) {
            return plan(seconds, o.windowSeconds(), o.overlapSeconds(), edges, shortest);
        }
        // A regenerate: the windows of its stretch and context only, at their places in the video.
        double[] range = o.redo().range(seconds, shortest);
        List<Double> inside = edges.stream().filter(e -> e > range[0] && e < range[1]).map(e -> e - range[0]).toList();
        List<Window> out = new ArrayList<>();
        for (Window w : plan(round(range[1] - range[0]), o.windowSeconds(), o.overlapSeconds(), inside, shortest)) {
            out.add(new Window(w.index(), round(w.start() + range[0]), w.length()));
        }
        return out;
    }

    /**
     * Windows of {@code window} seconds overlapping by {@code overlap} inside each stretch of
     * {@code [0, seconds)} between the {@code edges} (any order; those within 1 ms of the ends
     * ignored); stretches shorter than {@code shortest} merge into their shorter neighbour. Two
     * neighbouring windows either overlap (inside a stretch) or meet exactly at an edge.
     */
    public static List<Window> plan(double seconds, int window, double overlap, List<Double> edges, double shortest) {
        List<Double> bounds = stretches(seconds, edges, shortest);
        List<Window> out = new ArrayList<>();
        for (int s = 0; s + 1 < bounds.size(); s++) {
            double a = bounds.get(s);
            for (Window w : plan(round(bounds.get(s + 1) - a), window, overlap)) {
                out.add(new Window(out.size(), round(a + w.start()), w.length()));
            }
        }
        return out;
    }

    /**
     * The bounds of the stretches of {@code [0, seconds]} between {@code edges} (0 first,
     * {@code seconds} last; edges within 1 ms of the ends ignored), a stretch shorter than
     * {@code shortest} merged into its shorter neighbour (the edge between them dropped), until none
     * is or only one stretch is left.
     */
    public static List<Double> stretches(double seconds, java.util.Collection<Double> edges, double shortest) {
        TreeSet<Double> inner = new TreeSet<>();
        for (double e : edges) {
            double at = round(e);
            if (at > 1e-3 && at < seconds - 1e-3) {
                inner.add(at);
            }
        }
        List<Double> bounds = new ArrayList<>();
        bounds.add(0.0);
        bounds.addAll(inner);
        bounds.add(seconds);
        while (bounds.size() > 2) {
            int worst = -1;
            double worstLength = Double.MAX_VALUE;
            for (int i = 0; i + 1 < bounds.size(); i++) {
                double len = bounds.get(i + 1) - bounds.get(i);
                if (len < shortest - 1e-9 && len < worstLength) {
                    worst = i;
                    worstLength = len;
                }
            }
            if (worst < 0) {
                break;
            }
            // Merge stretch [worst, worst+1] into its shorter neighbour: drop the edge between them.
            boolean hasLeft = worst > 0;
            boolean hasRight = worst + 2 < bounds.size();
            double left = hasLeft ? bounds.get(worst) - bounds.get(worst - 1) : Double.MAX_VALUE;
            double right = hasRight ? bounds.get(worst + 2) - bounds.get(worst + 1) : Double.MAX_VALUE;
            bounds.remove(left <= right ? worst : worst + 1);
        }
        return bounds;
    }

    /** Whether windows {@code i} and {@code i + 1} of {@code plan} meet at a hard edge (a cut, a segment's edge) rather than overlap. */
    public static boolean meetAtEdge(List<Window> plan, int i) {
        return plan.get(i).end() <= plan.get(i + 1).start() + 1e-6;
    }

    /** The stretches of {@code [0, seconds)} between {@code cuts}: the scenes a user is shown ({@code data.scenes}). */
    public static List<double[]> scenes(double seconds, List<Double> cuts) {
        List<double[]> out = new ArrayList<>();
        double from = 0;
        for (double c : cuts) {
            if (c > from && c < seconds) {
                out.add(new double[] {from, c});
                from = c;
            }
        }
        out.add(new double[] {from, seconds});
        return out;
    }

    /**
     * Windows of {@code window} seconds that overlap by at least {@code overlap}, covering
     * {@code seconds}: each starts {@code window - overlap} after the one before, and the last is
     * moved back to end exactly at the end (so its overlap may be longer). A video no longer than
     * one window is one window.
     */
    public static List<Window> plan(double seconds, int window, double overlap) {
        if (!(seconds > 0) || window <= 0 || overlap < 0 || overlap >= window) {
            throw new IllegalArgumentException("cannot cut " + seconds + " s into " + window + " s windows overlapping " + overlap + " s");
        }
        List<Window> out = new ArrayList<>();
        if (seconds <= window) {
            out.add(new Window(0, 0, seconds));
            return out;
        }
        double step = window - overlap;
        int n = (int) Math.ceil((seconds - window) / step - 1e-9) + 1;
        for (int i = 0; i < n; i++) {
            double start = i == n - 1 ? seconds - window : i * step;
            out.add(new Window(i, round(start), window));
        }
        return out;
    }

    /** The seed of window {@code index}: derived from the request's, so a re-run makes the same sound. */
    public static Integer seedOf(Integer requestSeed, int index) {
        if (requestSeed == null) {
            return null;
        }
        return (int) ((requestSeed + 7919L * index) % 65536);
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
