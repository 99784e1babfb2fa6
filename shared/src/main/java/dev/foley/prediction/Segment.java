package dev.foley.prediction;

/**
 * A stretch of the video with its own prompt ({@code segments}, a Foley addition): every window
 * inside {@code [start, end)} is sent with this prompt (and negative prompt, when given); a window
 * never crosses a segment's edge. Time no segment covers uses the request's own prompt.
 *
 * @param negativePrompt null: the request's own
 */
public record Segment(double start, double end, String prompt, String negativePrompt) {

    /** At most this many segments in a request. */
    public static final int MAX = 50;
    /** Each at least this long (seconds). */
    public static final double MIN_SECONDS = 1.0;

    public boolean covers(double t) {
        return t >= start - 1e-9 && t < end - 1e-9;
    }

    public double length() {
        return end - start;
    }
}
