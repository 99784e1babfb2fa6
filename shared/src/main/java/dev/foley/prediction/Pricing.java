package dev.foley.prediction;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** What a prediction costs: a price per second of requested audio, in integer micro-dollars. */
public record Pricing(long microUsdPerSecond) {

    public long costOf(PredictionRequest request) {
        return request.duration() * microUsdPerSecond;
    }

    public long costOf(Prediction p) {
        return costOf(p.request());
    }

    /** Micro-dollars as a price: {@code $0.004}. */
    public static String usd(long micro) {
        BigDecimal v = BigDecimal.valueOf(micro, 6).stripTrailingZeros();
        return "$" + v.setScale(Math.max(3, v.scale()), RoundingMode.UNNECESSARY).toPlainString();
    }
}
