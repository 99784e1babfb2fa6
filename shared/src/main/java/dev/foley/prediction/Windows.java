package dev.foley.prediction;

import java.util.ArrayList;
import java.util.List;

/**
 * How a long prediction is cut, and how far it has got (stored on the parent item once the media
 * function has probed the video). The cut itself is a pure function of the length and the
 * request's options, so every step that needs it computes the same windows.
 *
 * @param seconds     how much of the video the sound covers (the whole video, or the requested duration if shorter)
 * @param total       how many windows
 * @param done        how many are finished (their audio is in our bucket)
 * @param concurrency at most this many windows are at the provider at once
 */
public record Windows(double seconds, int total, int done, int concurrency) {

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
        return new Windows(seconds, total, n, concurrency);
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
