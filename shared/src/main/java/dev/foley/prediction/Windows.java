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
 * @param rule        the layout the windows were cut by ({@link #RULE} for a plan made now; stored with
 *                    it, so a prediction cut by an earlier release is joined as it was cut)
 */
public record Windows(double seconds, int total, int done, int concurrency, List<Double> cuts, int rule) {

    /** Shots shorter than this join a neighbour (a cut must leave a second of picture on each side to count). */
    public static final double MIN_SHOT = 1.0;

    /**
     * The layout of windows this release cuts by: 2, windows that follow the shots laid out as the
     * picture streams by ({@link #following}, a short stretch joining the one before). 1, before it
     * (still read for plans stored then): each stretch as {@link #plan(double, int, double)} lays
     * it, a short stretch joining its shorter neighbour.
     */
    public static final int RULE = 2;

    public Windows {
        cuts = cuts == null ? List.of() : List.copyOf(cuts);
    }

    public Windows(double seconds, int total, int done, int concurrency, List<Double> cuts) {
        this(seconds, total, done, concurrency, cuts, RULE);
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
        return new Windows(seconds, total, n, concurrency, cuts, rule);
    }

    /** The windows of {@code r} over this video: {@link #planFor} with the cuts found, by the rule it was cut by. */
    public List<Window> plan(PredictionRequest r) {
        return planFor(r, seconds, cuts, rule);
    }

    /**
     * The windows of request {@code r} over {@code seconds} of video whose shots change at
     * {@code cuts}: no window crosses a hard edge (a shot cut, unless {@code scene_cuts} is off; a
     * segment's start or end). A stretch between edges shorter than the model's shortest request
     * (or than {@link #MIN_SHOT}) joins the stretch before it ({@link #stretches}). Inside each
     * stretch, with {@code scene_cuts} on, windows as {@link #following} lays them (from the
     * stretch's start, so the split can place them while the picture streams by); with it off,
     * today's fixed windows ({@link #plan(double, int, double)}).
     */
    public static List<Window> planFor(PredictionRequest r, double seconds, List<Double> cuts) {
        return planFor(r, seconds, cuts, RULE);
    }

    /** The same, by layout {@code rule} ({@link #RULE}). */
    public static List<Window> planFor(PredictionRequest r, double seconds, List<Double> cuts, int rule) {
        MediaOptions o = r.media();
        List<Double> edges = new ArrayList<>();
        if (o.sceneCuts()) {
            edges.addAll(cuts);
        }
        for (Segment g : o.segments()) {
            edges.add(g.start());
            edges.add(g.end());
        }
        double shortest = shortest(r);
        if (rule < 2) {
            edges = rule1Edges(seconds, edges, shortest);
        }
        double least = o.sceneCuts() && rule >= 2 ? leastLast(r) : -1;
        if (o.redo() == null) {
            return plan(seconds, o.windowSeconds(), o.overlapSeconds(), edges, shortest, least);
        }
        // A regenerate: the windows of its stretch and context only, at their places in the video.
        double[] range = o.redo().range(seconds, shortest);
        List<Double> inside = edges.stream().filter(e -> e > range[0] && e < range[1]).map(e -> e - range[0]).toList();
        List<Window> out = new ArrayList<>();
        for (Window w : plan(round(range[1] - range[0]), o.windowSeconds(), o.overlapSeconds(), inside, shortest, least)) {
            out.add(new Window(w.index(), round(w.start() + range[0]), w.length()));
        }
        return out;
    }

    /**
     * Rule 1's edges: a stretch shorter than {@code shortest} joined its shorter neighbour (the
     * shortest first), for plans stored before rule 2. What is left has no stretch too short, so
     * {@link #stretches} keeps it as it is.
     */
    private static List<Double> rule1Edges(double seconds, List<Double> edges, double shortest) {
        List<Double> inner = inner(seconds, edges);
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
            double left = worst > 0 ? bounds.get(worst) - bounds.get(worst - 1) : Double.MAX_VALUE;
            double right = worst + 2 < bounds.size() ? bounds.get(worst + 2) - bounds.get(worst + 1) : Double.MAX_VALUE;
            bounds.remove(left <= right ? worst : worst + 1);
        }
        return bounds.subList(1, bounds.size() - 1);
    }

    /** {@code edges} rounded to the millisecond, in order, once each, those within 1 ms of the ends (or outside) left out. */
    private static List<Double> inner(double seconds, java.util.Collection<Double> edges) {
        TreeSet<Double> inner = new TreeSet<>();
        for (double e : edges) {
            double at = round(e);
            if (at > 1e-3 && at < seconds - 1e-3) {
                inner.add(at);
            }
        }
        return new ArrayList<>(inner);
    }

    /** The shortest stretch {@code r}'s windows keep between edges: {@link #MIN_SHOT}, or the model's shortest request. */
    public static double shortest(PredictionRequest r) {
        return Math.max(MIN_SHOT, r.spec().limits().minSeconds());
    }

    /**
     * The shortest last window of a stretch when windows follow the shots ({@link #following}):
     * the model's shortest request, and at least twice the overlap (so its fade in and the cut
     * never meet), never more than a window.
     */
    public static double leastLast(PredictionRequest r) {
        MediaOptions o = r.media();
        return Math.min(o.windowSeconds(), Math.max(shortest(r), 2 * o.overlapSeconds()));
    }

    /**
     * How far past a frame the shot cuts must be known before the windows that frame belongs to
     * are settled, when windows follow the shots: a cut within {@link #leastLast} after it may make
     * it part of the stretch's last window, and whether a cut is an edge depends on the next one
     * within {@link #MIN_SHOT} (a shot) and within the shortest stretch (a window).
     */
    public static double lookahead(PredictionRequest r) {
        return leastLast(r) + MIN_SHOT + shortest(r) + 0.05;
    }

    /**
     * Windows of {@code window} seconds overlapping by {@code overlap} inside each stretch of
     * {@code [0, seconds)} between the {@code edges} (any order; those within 1 ms of the ends
     * ignored), as {@link #plan(double, int, double)} lays them; stretches shorter than
     * {@code shortest} join the one before. Two neighbouring windows either overlap (inside a
     * stretch) or meet exactly at an edge.
     */
    public static List<Window> plan(double seconds, int window, double overlap, List<Double> edges, double shortest) {
        return plan(seconds, window, overlap, edges, shortest, -1);
    }

    /**
     * The same, each stretch laid out as {@link #following} does with a last window at least
     * {@code least} long; {@code least < 0}: as {@link #plan(double, int, double)} does.
     */
    public static List<Window> plan(double seconds, int window, double overlap, List<Double> edges, double shortest, double least) {
        List<Double> bounds = stretches(seconds, edges, shortest);
        List<Window> out = new ArrayList<>();
        for (int s = 0; s + 1 < bounds.size(); s++) {
            double a = bounds.get(s);
            double length = round(bounds.get(s + 1) - a);
            for (Window w : least < 0 ? plan(length, window, overlap) : following(length, window, overlap, least)) {
                out.add(new Window(out.size(), round(a + w.start()), w.length()));
            }
        }
        return out;
    }

    /**
     * The bounds of the stretches of {@code [0, seconds]} between {@code edges} (0 first,
     * {@code seconds} last; edges within 1 ms of the ends ignored): an edge stays only when the
     * stretch it starts, up to the next edge, is at least {@code shortest} long, and so is the
     * video before it. A stretch too short thus joins the one before it (the first, the one after):
     * a rule that looks no further than {@code shortest} past an edge, so it can be applied while
     * the picture streams by. Every stretch left is at least {@code shortest} long, unless the
     * video is shorter.
     */
    public static List<Double> stretches(double seconds, java.util.Collection<Double> edges, double shortest) {
        List<Double> in = inner(seconds, edges);
        List<Double> bounds = new ArrayList<>();
        bounds.add(0.0);
        for (int i = 0; i < in.size(); i++) {
            double e = in.get(i);
            double next = i + 1 < in.size() ? in.get(i + 1) : seconds;
            if (e >= shortest - 1e-9 && next - e >= shortest - 1e-9) {
                bounds.add(e);
            }
        }
        bounds.add(seconds);
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

    /**
     * Windows of one stretch laid out from its start, as the split that finds the cuts places them
     * while the picture streams by: a window every {@code window - overlap} seconds, each
     * {@code window} long, until one reaches the stretch's end; that last one ends at the end (so it
     * may be shorter), and if it would be shorter than {@code least} it starts {@code least} before
     * the end instead (overlapping the one before more). As many windows as
     * {@link #plan(double, int, double)} makes, with less picture in them; where each window lies
     * depends only on the stretch's start and on whether its end comes within {@code least} (or
     * within the overlap) of a frame.
     */
    public static List<Window> following(double seconds, int window, double overlap, double least) {
        if (!(seconds > 0) || window <= 0 || overlap < 0 || overlap >= window) {
            throw new IllegalArgumentException("cannot cut " + seconds + " s into " + window + " s windows overlapping " + overlap + " s");
        }
        List<Window> out = new ArrayList<>();
        double step = window - overlap;
        for (int k = 0;; k++) {
            double start = round(k * step);
            if (start + window >= seconds - 1e-6) {
                if (k > 0 && seconds - start < least - 1e-9) {
                    start = round(Math.max(0, seconds - least));
                }
                out.add(new Window(k, start, round(seconds - start)));
                return out;
            }
            out.add(new Window(k, start, window));
        }
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
