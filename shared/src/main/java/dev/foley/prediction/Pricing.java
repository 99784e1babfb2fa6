package dev.foley.prediction;

import dev.foley.model.Model;
import dev.foley.model.Models;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * What a prediction costs, in integer micro-dollars, at its model's price and unit: MMAudio v2 at
 * the deployment's price per second ({@code FOLEY_PRICE_PER_SECOND_USD}), every other model at
 * its registry price ({@link Model#price()}): per second of audio, or per video (a request; on the
 * long path, per window, since each window is a request to the model). Takes multiply it.
 *
 * @param microUsdPerSecond the deployment's price of MMAudio v2, per second
 */
public record Pricing(long microUsdPerSecond) {

    /** The price of one unit of {@code m} here. */
    public long unitPrice(Model m) {
        return isMmaudio(m) ? microUsdPerSecond : m.price().microUsd();
    }

    /** The most a request can cost (what a prepaid key reserves): a length not known yet counts as its limit. */
    public long costOf(PredictionRequest request) {
        Model m = request.spec();
        long units = perVideo(m) ? maxRequests(request) : maxSeconds(request);
        return units * request.media().samples() * unitPrice(m);
    }

    /** What a prediction costs when it completes. */
    public long costOf(Prediction p) {
        return costOf(p, Double.NaN);
    }

    /**
     * What a prediction costs when it completes, {@code measured}: the seconds of sound the model
     * made, where the model's length follows the video's (NaN: not measured, charged at its limit).
     */
    public long costOf(Prediction p, double measured) {
        Model m = p.request().spec();
        if (!perVideo(m)) {
            return secondsOf(p, measured) * unitPrice(m);
        }
        long requests = p.kind() == Kind.LONG && p.windows() != null ? (long) p.windows().total() * p.takesPerWindow()
                : p.isWindow() ? 1 : p.request().media().samples();
        return requests * unitPrice(m);
    }

    /** Seconds of audio charged (see {@link #secondsOf(Prediction, double)}), the length not measured. */
    public static long secondsOf(Prediction p) {
        return secondsOf(p, Double.NaN);
    }

    /**
     * Seconds of audio charged: the requested duration; for the long model, the seconds the sound
     * covers (overlaps are ours); for a model whose length follows the video, the seconds it made
     * ({@code measured}, at most its limit); times the takes asked for.
     */
    public static long secondsOf(Prediction p, double measured) {
        if (p.request().media().redo() != null) { // a regenerate: the stretch redone, not its context
            return (long) Math.ceil(p.request().media().redo().seconds() - 1e-6) * p.takesPerWindow();
        }
        if (p.kind() == Kind.LONG && p.windows() != null) {
            return (long) Math.ceil(p.windows().seconds() - 1e-6) * p.takesPerWindow();
        }
        long seconds = maxSeconds(p.request());
        if (p.request().duration() == 0 && p.kind() != Kind.LONG && measured > 0) {
            // Whole seconds, up: a codec's own padding (an AAC frame, 21-46 ms) is not a second more.
            seconds = Math.min(seconds, Math.max(1, (long) Math.ceil(measured - 0.05)));
        }
        // Every take is a job at the provider: charged for each (a window, a take, is charged on its parent).
        return seconds * (p.isWindow() ? 1 : p.request().media().samples());
    }

    private static long maxSeconds(PredictionRequest r) {
        if (r.media().redo() != null) {
            return (long) Math.ceil(r.media().redo().seconds() - 1e-6);
        }
        if (r.duration() > 0) {
            return r.duration();
        }
        return r.kind() == Kind.LONG ? r.spec().limits().longMaxSeconds() : r.spec().limits().maxSeconds();
    }

    /**
     * The most requests a per-video model gets: one, or on the long path one per window of the
     * longest video, with one more for each edge a window may not cross (each shot cut, at most one
     * per {@link Windows#MIN_SHOT} or per the model's shortest request, and each segment's two edges).
     */
    private static long maxRequests(PredictionRequest r) {
        if (r.kind() != Kind.LONG) {
            return 1;
        }
        double most = r.media().redo() != null ? r.media().redo().seconds() + 2 * Redo.CONTEXT : maxSeconds(r);
        long fixed = Windows.plan(most, r.media().windowSeconds(), r.media().overlapSeconds()).size();
        long cuts = r.media().sceneCuts() ? (long) Math.floor(most / Math.max(Windows.MIN_SHOT, r.spec().limits().minSeconds())) : 0;
        return fixed + cuts + 2L * r.media().segments().size();
    }

    private static boolean perVideo(Model m) {
        return "video".equals(m.price().unit());
    }

    private static boolean isMmaudio(Model m) {
        return m.equals(Models.MMAUDIO_V2) || m.equals(Models.MMAUDIO_V2_TEXT);
    }

    /** Micro-dollars as a price: {@code $0.004}. */
    public static String usd(long micro) {
        BigDecimal v = BigDecimal.valueOf(micro, 6).stripTrailingZeros();
        return "$" + v.setScale(Math.max(3, v.scale()), RoundingMode.UNNECESSARY).toPlainString();
    }
}
