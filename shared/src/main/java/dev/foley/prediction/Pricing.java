package dev.foley.prediction;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** What a prediction costs: a price per second of requested audio, in integer micro-dollars. */
public record Pricing(long microUsdPerSecond) {

    /** The most a request can cost (what a prepaid key reserves): the long model's whole video counts as its limit. */
    public long costOf(PredictionRequest request) {
        return maxSeconds(request) * request.media().samples() * microUsdPerSecond;
    }

    /** What a prediction costs when it completes: the seconds it covers. */
    public long costOf(Prediction p) {
        return secondsOf(p) * microUsdPerSecond;
    }

    /**
     * Seconds of audio charged: the requested duration; for the long model, the seconds the sound
     * covers (overlaps are ours); times the takes asked for.
     */
    public static long secondsOf(Prediction p) {
        if (p.kind() == Kind.LONG && p.windows() != null) {
            return (long) Math.ceil(p.windows().seconds() - 1e-6) * p.takesPerWindow();
        }
        // Every take is a job at the provider: charged for each (a window, a take, is charged on its parent).
        return maxSeconds(p.request()) * (p.isWindow() ? 1 : p.request().media().samples());
    }

    private static long maxSeconds(PredictionRequest r) {
        return r.kind() == Kind.LONG && r.duration() == 0 ? RequestValidator.MAX_LONG_SECONDS : r.duration();
    }

    /** Micro-dollars as a price: {@code $0.004}. */
    public static String usd(long micro) {
        BigDecimal v = BigDecimal.valueOf(micro, 6).stripTrailingZeros();
        return "$" + v.setScale(Math.max(3, v.scale()), RoundingMode.UNNECESSARY).toPlainString();
    }
}
