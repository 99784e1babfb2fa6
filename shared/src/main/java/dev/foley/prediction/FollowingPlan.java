package dev.foley.prediction;

import java.util.ArrayList;
import java.util.List;

/**
 * The windows of a long prediction planned while its picture streams by, as the split finds the
 * shot cuts: the cuts found so far are fed in ({@link #cut}), with how far the search has got
 * ({@link #decided}); {@link #plan()} is {@link Windows#planFor} over the cuts known, and every
 * frame up to {@link #settled()} belongs to the same windows, at the same places, in the plan
 * of the whole video, whatever cuts come later ({@link Windows#lookahead} says why). The split
 * holds a frame back until it is settled, then hands it to its windows.
 */
public final class FollowingPlan {

    private final PredictionRequest request;
    private final double seconds;
    private final double lookahead;
    private final List<Double> raw = new ArrayList<>();
    private double decided = Double.NEGATIVE_INFINITY;
    private List<Windows.Window> plan;

    public FollowingPlan(PredictionRequest request, double seconds) {
        this.request = request;
        this.seconds = seconds;
        this.lookahead = Windows.lookahead(request);
    }

    /** A shot cut found (seconds; in order, each after those before). */
    public void cut(double at) {
        raw.add(at);
        plan = null;
    }

    /** Every cut up to {@code t} has been fed in. */
    public void decided(double t) {
        decided = Math.max(decided, t);
    }

    /** The search has reached the end: every cut is known, every frame settled. */
    public void finish() {
        decided = Double.POSITIVE_INFINITY;
    }

    /** Frames up to this time (seconds) belong to the windows {@link #plan()} gives them, for good. */
    public double settled() {
        return decided - lookahead;
    }

    /** The shot cuts so far, shots under {@link Windows#MIN_SHOT} joined to the one before (as {@code data.scenes} shows them). */
    public List<Double> cuts() {
        List<Double> bounds = Windows.stretches(seconds, raw, Windows.MIN_SHOT);
        return List.copyOf(bounds.subList(1, bounds.size() - 1));
    }

    /** The windows over the cuts known so far (as if no more came). */
    public List<Windows.Window> plan() {
        if (plan == null) {
            plan = Windows.planFor(request, seconds, cuts());
        }
        return plan;
    }
}
