package dev.foley.lifecycle;

import dev.foley.prediction.Jobs;
import dev.foley.prediction.Notifications;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.WebhookState;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * What happens after an effect, decided without I/O: after a round of cancels, which jobs are
 * still to stop and when the prediction is next due; after a webhook attempt, the webhook's state
 * and its next attempt; after a round of notifications, when it is next due. The pipeline's
 * effects stage ({@code pipeline/Effects}) acts, then asks these.
 */
public final class EffectRules {

    private EffectRules() {
    }

    /** The jobs after a round of cancels, and when the prediction is next due. */
    public record StopRound(Jobs jobs, Instant due) {
    }

    /**
     * After a round of cancels of {@code claimed}'s jobs that stopped {@code stopped} and failed
     * {@code failed} times: a round that failed waits for its back-off step, one that stopped
     * everything clears it. A finished prediction is next due for what it still owes; one still at
     * work goes back to the step that was due before it ({@code dueBefore}, or now), unless the
     * next round of cancels comes first.
     */
    public static StopRound afterStopRound(Prediction claimed, Set<String> stopped, int failed, Instant dueBefore, Instant now) {
        Jobs after = claimed.jobs().withStopped(stopped);
        int rounds = failed > 0 ? after.stopAttempts() + 1 : 0;
        after = after.withStopRetry(rounds, after.toStop(claimed.phase()).isEmpty() ? null : Lifecycle.stopRetry(rounds, now));
        Instant due;
        if (claimed.phase().terminal()) {
            due = Lifecycle.effectsDue(claimed.toBuilder().jobs(after).build(), now);
        } else {
            due = dueBefore == null || dueBefore.isBefore(now) ? now : dueBefore;
            if (after.stopDueAt() != null && after.stopDueAt().isBefore(due)) {
                due = after.stopDueAt();
            }
        }
        return new StopRound(after, due);
    }

    /** A webhook after an attempt: its state, its next attempt (null: none), and the metric's word for it. */
    public record WebhookOutcome(WebhookState state, Instant due, String outcome) {
    }

    /**
     * After attempt {@code attempt} (1-based) answered {@code ok}, or failed ({@code retryable}:
     * another attempt may do better): delivered; or retried on the schedule
     * ({@link Lifecycle#webhookRetryAfter}); or given up when the schedule or the failure says so.
     */
    public static WebhookOutcome afterWebhookAttempt(int attempt, boolean ok, boolean retryable, Instant now) {
        if (ok) {
            return new WebhookOutcome(WebhookState.DELIVERED, null, "delivered");
        }
        Optional<Duration> retry = retryable ? Lifecycle.webhookRetryAfter(attempt) : Optional.empty();
        return retry.map(r -> new WebhookOutcome(WebhookState.PENDING, now.plus(r), "failed"))
                .orElseGet(() -> new WebhookOutcome(WebhookState.GAVE_UP, null, "gave_up"));
    }

    /**
     * When a prediction is next due after a round of notifications left {@code owed}: what it still
     * owes, or the result file's retry ({@code fileRetry}, null: none) if that comes first than a
     * pending webhook's next attempt.
     */
    public static Instant dueAfterNotifying(Prediction claimed, Notifications owed, Instant fileRetry, Instant now) {
        Instant due = Lifecycle.effectsDue(claimed.toBuilder().notifications(owed).build(), now);
        if (fileRetry != null) {
            Instant hook = owed.webhookDueAt();
            due = owed.webhookState() == WebhookState.PENDING && hook != null && hook.isBefore(fileRetry) ? hook : fileRetry;
        }
        return due;
    }
}
