package dev.foley.prediction;

import java.util.List;

/**
 * A regenerate ({@code POST /api/v3/predictions/{id}/regenerate}, a Foley addition): a prediction
 * of its own that makes {@code [start, end)} of its parent's sound again (with
 * {@link #CONTEXT} seconds of picture on each side, as a long video's windows overlap) and splices
 * it into the parent's result, which is otherwise kept as it was.
 *
 * @param parentId     the prediction whose result is redone (left as it is)
 * @param start        where the stretch starts, seconds into the parent's result
 * @param end          where it ends
 * @param parentOutput the parent's result in our bucket (its key): the sound spliced into
 * @param sources      where the picture can be read, tried in order: our bucket's copy of the
 *                     parent's video ({@code foley-work:} references), then its result if it is a
 *                     video, then the URL the parent was made from
 * @param parentCuts   the shot cuts of the parent's whole video, as found when it was cut (the
 *                     regenerate's windows follow them, and its check leaves them out, without a
 *                     search of its own); null when the parent has none stored (a short prediction,
 *                     or {@code scene_cuts: false}): the regenerate looks in its stretch
 */
public record Redo(String parentId, double start, double end, String parentOutput, List<String> sources, List<Double> parentCuts) {

    /** Seconds of picture on each side of the stretch the model is given (not charged). */
    public static final double CONTEXT = 1.0;
    /** The crossfade inside each edge of the stretch, at most (a quarter of a short stretch). */
    public static final double EDGE_CROSSFADE = 0.1;

    public Redo {
        sources = sources == null ? List.of() : List.copyOf(sources);
        parentCuts = parentCuts == null ? null : List.copyOf(parentCuts);
    }

    public Redo(String parentId, double start, double end, String parentOutput, List<String> sources) {
        this(parentId, start, end, parentOutput, sources, null);
    }

    public double seconds() {
        return end - start;
    }

    /** The part of the video the model is given: the stretch with its context, inside {@code [0, covered]}, at least {@code shortest} long. */
    public double[] range(double covered, double shortest) {
        double from = Math.max(0, start - CONTEXT);
        double to = Math.min(covered, end + CONTEXT);
        while (to - from < shortest - 1e-9 && (from > 0 || to < covered)) {
            from = Math.max(0, from - 0.5);
            to = Math.min(covered, to + 0.5);
        }
        return new double[] {from, to};
    }

    /** The crossfade at each edge of the stretch: {@link #EDGE_CROSSFADE}, or a quarter of a shorter stretch. */
    public double crossfade() {
        return Math.min(EDGE_CROSSFADE, seconds() / 4);
    }
}
