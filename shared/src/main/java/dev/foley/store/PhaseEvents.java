package dev.foley.store;

import dev.foley.obs.Log;
import dev.foley.obs.Metrics;
import dev.foley.obs.Metrics.Metric;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every phase change, as the store writes it (the one place every move passes): one INFO event
 * (prediction, key, provider, phase from → to, its age), so filtering one prediction id shows its
 * whole life; and the prediction counters, time to done and the charge as metrics. A window is
 * logged (with its parent) but not counted as a prediction.
 */
final class PhaseEvents {

    private static final Log.Logger LOG = Log.logger("foley.prediction");

    private PhaseEvents() {
    }

    static void created(Prediction p, java.time.Clock clock) {
        LOG.event(Level.INFO, "prediction " + p.id() + " accepted", fields(p, null, p, clock));
    }

    static void moved(Prediction before, Prediction after, java.time.Clock clock) {
        if (before.phase() == after.phase()) {
            return;
        }
        LOG.event(Level.INFO, "prediction " + after.id() + " " + before.phase().code() + " -> " + after.phase().code(),
                fields(after, before.phase(), after, clock));
        if (after.isWindow()) {
            return;
        }
        String model = after.request().path();
        String provider = after.job() == null ? "-" : after.job().provider();
        switch (after.phase()) {
            case SUBMITTED -> Metrics.put(Metric.PredictionsSubmitted, 1, "Model", model, "Provider", provider);
            case COMPLETED -> {
                Metrics.put(Metric.PredictionsCompleted, 1, "Model", model, "Provider", provider);
                Metrics.put(Metric.TimeToDone, Duration.between(after.createdAt(), clock.instant()).toMillis(), "Model", model);
            }
            case FAILED -> Metrics.put(Metric.PredictionsFailed, 1, "Model", model, "Provider", provider);
            case CANCELLED -> Metrics.put(Metric.PredictionsCancelled, 1, "Model", model, "Provider", provider);
            default -> {
            }
        }
    }

    /**
     * A completed prediction's charge, as the transaction that completed it wrote it: the seconds
     * of audio charged (measured by the media step for models whose length follows the video) and
     * the price.
     */
    static void charged(long seconds, long microUsd) {
        Metrics.put(Metric.SecondsCharged, seconds);
        Metrics.put(Metric.MicroUsdCharged, microUsd);
    }

    private static Map<String, Object> fields(Prediction p, Phase from, Prediction now, java.time.Clock clock) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("prediction_id", p.id());
        if (p.isWindow()) {
            f.put("parent_id", p.parentId());
        }
        f.put("key_id", p.keyId());
        f.put("model", p.request().path());
        if (p.job() != null) {
            f.put("provider", p.job().provider());
        }
        f.put("phase_from", from == null ? "-" : from.code());
        f.put("phase_to", now.phase().code());
        f.put("age_ms", Math.max(0, Duration.between(p.createdAt(), clock.instant()).toMillis()));
        if (!now.error().isEmpty()) {
            f.put("reason", now.error());
        }
        return f;
    }
}
