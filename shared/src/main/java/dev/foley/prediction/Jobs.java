package dev.foley.prediction;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Every provider job a prediction ever started: the one it tracks ({@code winner}), all of them
 * ({@code started}, the winner and any orphan: a job whose submit answer came too late, or whose
 * prediction had moved on), the ones already stopped, and how many submits may have made a job
 * whose id never came back ({@code unconfirmed}). Nothing here is shown to clients.
 *
 * @param winner      the job the prediction follows; null until a submit (or a callback) names one
 * @param started     every job known to exist, the winner included
 * @param stopped     {@link ProviderJob#key()}s of jobs cancelled (or found already ended)
 * @param unconfirmed submits claimed whose outcome is not known to have made no job: a claim counts
 *                    one up before the call is made (so a crash during the call counts), a definite
 *                    answer counts it down. A prediction gets at most {@link #MAX_UNCONFIRMED}.
 * @param stopAttempts rounds of cancels that failed so far (the provider down, say), for their backoff
 * @param stopDueAt    when the next round of cancels is due after a failed one; null: at once
 */
public record Jobs(ProviderJob winner, Set<ProviderJob> started, Set<String> stopped, int unconfirmed, int stopAttempts,
        java.time.Instant stopDueAt) {

    /** A submit that may have made a job is retried at most once over a prediction's life. */
    public static final int MAX_UNCONFIRMED = 2;

    public static final Jobs NONE = new Jobs(null, Set.of(), Set.of(), 0);

    public Jobs(ProviderJob winner, Set<ProviderJob> started, Set<String> stopped, int unconfirmed) {
        this(winner, started, stopped, unconfirmed, 0, null);
    }

    /** The same, with {@code keys} stopped too. */
    public Jobs withStopped(java.util.Collection<String> keys) {
        Set<String> all = new java.util.HashSet<>(stopped);
        all.addAll(keys);
        return new Jobs(winner, started, all, unconfirmed, stopAttempts, stopDueAt);
    }

    /** The same, after a round of cancels that failed: {@code attempts} so far, the next due at {@code at}. */
    public Jobs withStopRetry(int attempts, java.time.Instant at) {
        return new Jobs(winner, started, stopped, unconfirmed, attempts, at);
    }

    /** Whether a round of cancels may be made at {@code now}: some job is to stop, and no backoff holds it. */
    public boolean stopDueBy(Phase phase, java.time.Instant now) {
        return !toStop(phase).isEmpty() && (stopDueAt == null || !stopDueAt.isAfter(now));
    }

    public Jobs {
        started = started == null ? Set.of() : Set.copyOf(started);
        stopped = stopped == null ? Set.of() : Set.copyOf(stopped);
    }

    /** Whether another submit may be made without risking a third paid job. */
    public boolean submitBudgetLeft() {
        return unconfirmed < MAX_UNCONFIRMED;
    }

    public boolean knows(ProviderJob job) {
        return (winner != null && winner.key().equals(job.key()))
                || started.stream().anyMatch(j -> j.key().equals(job.key()));
    }

    /**
     * The jobs to stop now, in a prediction at {@code phase}: orphans always; the winner too once
     * the prediction failed or was cancelled (a completed one's job has ended by itself).
     */
    public List<ProviderJob> toStop(Phase phase) {
        Set<ProviderJob> all = new LinkedHashSet<>(started);
        if (winner != null) {
            all.add(winner);
        }
        List<ProviderJob> out = new ArrayList<>();
        boolean stopWinner = phase == Phase.FAILED || phase == Phase.CANCELLED;
        for (ProviderJob j : all) {
            boolean isWinner = winner != null && winner.key().equals(j.key());
            if (!stopped.contains(j.key()) && (!isWinner || stopWinner)) {
                out.add(j);
            }
        }
        return out;
    }
}
