package dev.foley.lifecycle;

import dev.foley.prediction.Jobs;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.ProviderJob;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * How a prediction moves on, and when: every decision of its life as a pure function of the
 * prediction, what a provider said, and the time. No I/O here; {@code Pipeline} does what these
 * say. The phases and who moves them are in docs/design.md ("The prediction's life").
 *
 * @param deadline  a prediction not finished this long after it was accepted fails (never charged)
 * @param callbacks whether providers push results to us (a public callback URL is configured); with
 *                  pushes, a submit whose answer was lost can still be heard from
 */
public record Lifecycle(Duration deadline, boolean callbacks) {

    /** A submit that failed without making a job is tried again after at most this long. */
    public static final Duration MAX_SUBMIT_BACKOFF = Duration.ofSeconds(60);
    /** Status checks back off 1, 2, 4, 8 s and then stay at this. */
    public static final Duration MAX_CHECK_BACKOFF = Duration.ofSeconds(15);
    /** An upstream-done prediction nobody started copying within this long is handed to completion again. */
    public static final Duration COMPLETION_GRACE = Duration.ofMinutes(2);
    /** Copying the outputs may go on this long after the job was done, even past the deadline: paid work is kept. */
    public static final Duration COPY_WINDOW = Duration.ofMinutes(10);
    /** With pushes on, after a submit that may have made a job: wait this long past its expected run for the callback. */
    public static final Duration CALLBACK_GRACE = Duration.ofSeconds(30);
    /** Without pushes, a submit that may have made a job is retried after this long. */
    public static final Duration UNCONFIRMED_RETRY = Duration.ofSeconds(2);
    /**
     * Status checks in a row that find the job unknown before the prediction fails: a provider may
     * not show a new job at once (creation not yet visible, a failover), so "not found" is a strike,
     * and the strikes are spread over {@link #NOT_FOUND_SPACING} (35 s at least from the first).
     */
    public static final int NOT_FOUND_LIMIT = 4;
    /** The wait after the 1st, 2nd and 3rd "not found" before looking again. */
    public static final List<Duration> NOT_FOUND_SPACING = List.of(Duration.ofSeconds(5), Duration.ofSeconds(10),
            Duration.ofSeconds(20));
    /** The error of a prediction failed because its provider no longer knew the job (a late callback may still adopt it). */
    public static final String JOB_LOST = "the inference provider no longer knows the job";
    /**
     * After a round of cancels failed (the provider down, say), the next round waits this long
     * (the n-th wait after the n-th failed round; the last repeats): a provider that is down gets
     * one attempt per step, not one per loop turn.
     */
    public static final List<Duration> STOP_RETRIES = List.of(Duration.ofSeconds(5), Duration.ofSeconds(15),
            Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(5));
    /** When to try a webhook again after attempt n (1-based) failed; after the last, give up. */
    public static final List<Duration> WEBHOOK_RETRIES = List.of(Duration.ofSeconds(5), Duration.ofSeconds(30),
            Duration.ofMinutes(2), Duration.ofMinutes(10), Duration.ofMinutes(30), Duration.ofHours(2), Duration.ofHours(6));

    /**
     * Leases: a submit's and an effect's each longer than the most its holder's (time-bounded) act
     * can take. A copy's and media work's are the most the act may take (its budget); their lease
     * itself is held 45 s at a time and renewed while the act runs, so a holder that dies frees the
     * step within 45 s (pipeline's LeaseKeeper).
     */
    public static final Duration SUBMIT_LEASE = Duration.ofSeconds(40);
    public static final Duration COPY_LEASE = Duration.ofMinutes(5);
    public static final Duration EFFECTS_LEASE = Duration.ofSeconds(90);
    /** Media work (cutting, joining) may take this long: under the media function's 15-minute timeout. */
    public static final Duration MEDIA_LEASE = Duration.ofMinutes(14);
    /**
     * Media work that failed this many times fails for good: what fails again and again (a file
     * FFmpeg cannot write as asked) is no passing fault, and the client hears why in minutes, not at
     * the deadline. Attempts are 1, 2, 4, 8, 16, 32, then 60 s apart: about 3 minutes in all, so a
     * provider's storage that is down for a minute or two (the join fetches its output) is waited out.
     */
    public static final int MEDIA_ATTEMPTS = 9;
    /** Media work handed to the media function is handed again if nobody claimed it within this long. */
    public static final Duration MEDIA_HANDOVER = Duration.ofMinutes(1);
    /** What a lease holder keeps in hand to record what it did before its lease ends. */
    public static final Duration RECORD_MARGIN = Duration.ofSeconds(5);

    /** The next thing to do for a prediction, as seen at one moment. */
    public sealed interface Work {
        /** Nothing now: not due, or somebody holds the step. */
        record Wait() implements Work {
        }

        /** Not finished by its deadline: fail it (never charged), stop its jobs. */
        record TimeOut(String reason) implements Work {
        }

        /** Jobs to stop at the provider: orphans, or all of a failed or cancelled prediction's. */
        record StopJobs(List<ProviderJob> jobs) implements Work {
        }

        record Submit() implements Work {
        }

        record Check() implements Work {
        }

        /**
         * Copy the outputs to our bucket, then complete and charge: completion does it at once;
         * the poller, only when it is {@code due} (completion's trigger was lost), by handing it over again.
         */
        record Copy(boolean due) implements Work {
        }

        /** A webhook attempt and/or the result file of an S3-triggered prediction. */
        record Notify() implements Work {
        }
    }

    /** What is due for {@code p} at {@code now}. */
    public Work next(Prediction p, Instant now) {
        return next(p, now, true);
    }

    /**
     * The same; without {@code effects}, only the phase's own work (inside an API request, where
     * stopping jobs and notifying are left to the worker side).
     */
    public Work next(Prediction p, Instant now, boolean effects) {
        return next(p, now, effects, false);
    }

    /**
     * The same; {@code mediaAtHand}: asked by the media function, which was handed a long video to
     * cut, so its first cut is due now rather than at its hand-over fallback time (a cut that failed
     * is tried again at its own backoff).
     */
    public Work next(Prediction p, Instant now, boolean effects, boolean mediaAtHand) {
        if (p.leasedAt(now)) {
            return new Work.Wait();
        }
        if (!p.phase().terminal() && now.isAfter(deadlineOf(p))) {
            return new Work.TimeOut(timeoutReason(p));
        }
        boolean due = p.dueAt() != null && !p.dueAt().isAfter(now);
        if (p.phase().terminal()) {
            // The client hears first: its webhook (and result file) go out before the jobs are stopped,
            // whatever the provider is doing. Each effect waits for its own due time.
            if (p.notifications().webhookDueBy(now) || p.notifications().resultFilePending() && due) {
                return new Work.Notify();
            }
            return effects && p.jobs().stopDueBy(p.phase(), now) ? new Work.StopJobs(p.jobs().toStop(p.phase())) : new Work.Wait();
        }
        if (effects && p.jobs().stopDueBy(p.phase(), now)) {
            return new Work.StopJobs(p.jobs().toStop(p.phase()));
        }
        return switch (p.phase()) {
            // Handed to the media function: its first cut is due at once; a retry waits for its time.
            case ACCEPTED -> (due && p.retryDueBy(now) || mediaAtHand && p.kind() == dev.foley.prediction.Kind.LONG && p.retryDueBy(now))
                    && p.jobs().submitBudgetLeft()
                    ? new Work.Submit() : new Work.Wait();
            case SUBMITTED -> due ? new Work.Check() : new Work.Wait();
            // A copy (or media work) that failed waits for its retry time, here and in every other loop
            // (a hand-over moves the due time, not the retry time: the process handed it copies at once).
            case UPSTREAM_DONE -> p.retryDueBy(now) ? new Work.Copy(due) : new Work.Wait();
            case COMPLETED, FAILED, CANCELLED -> new Work.Wait(); // handled above
        };
    }

    // ---- deadlines ----

    /** When {@code p} must be finished by. A job seen done gets {@link #COPY_WINDOW} to be copied. */
    public Instant deadlineOf(Prediction p) {
        Instant d = p.hasChildren() ? WindowRules.deadlineOf(p, deadline) : p.createdAt().plus(deadline);
        if (p.phase() == Phase.UPSTREAM_DONE && p.upstreamAt() != null && p.upstreamAt().plus(COPY_WINDOW).isAfter(d)) {
            return p.upstreamAt().plus(COPY_WINDOW);
        }
        return d;
    }

    /** {@code t}, or the deadline if that comes first: a deadline is never passed by waiting. */
    public Instant atOrBeforeDeadline(Prediction p, Instant t) {
        Instant d = deadlineOf(p).plusMillis(1);
        return t.isAfter(d) ? d : t;
    }

    public String timeoutReason(Prediction p) {
        String base = "timed out: not finished within " + Durations.human(deadline);
        if (p.phase() == Phase.ACCEPTED && p.jobs().unconfirmed() > 0 && p.job() == null) {
            return base + " (the provider never confirmed the job)";
        }
        if (p.phase() == Phase.UPSTREAM_DONE) {
            return "the provider's output could not be copied within " + Durations.human(COPY_WINDOW) + " of the job finishing";
        }
        return base;
    }

    // ---- submits ----

    /** What to do after a submit that did not start a job we know of. */
    public sealed interface AfterSubmitFailure {
        record RetryAt(Instant at) implements AfterSubmitFailure {
        }

        /** No submit is left that could not double the bill: wait for a callback (until the deadline). */
        record WaitForCallback(Instant until) implements AfterSubmitFailure {
        }

        record Fail(String reason) implements AfterSubmitFailure {
        }
    }

    /**
     * After a failed submit. {@code claimed} is the prediction as its submit claim left it (its
     * {@code unconfirmed} counts this attempt); {@code maybeCreated} says the request reached the
     * provider and may have made a job whose id we never got.
     */
    public AfterSubmitFailure afterSubmitFailure(Prediction claimed, boolean maybeCreated, Optional<Duration> retryAfter,
            Duration expectedRun, Instant now) {
        if (maybeCreated) {
            if (claimed.jobs().unconfirmed() >= Jobs.MAX_UNCONFIRMED) {
                if (callbacks) {
                    return new AfterSubmitFailure.WaitForCallback(atOrBeforeDeadline(claimed, now.plus(deadline)));
                }
                return new AfterSubmitFailure.Fail("the provider did not answer " + Jobs.MAX_UNCONFIRMED
                        + " submits that may each have started a job; Foley sends no more, so as not to pay twice"
                        + " (nothing is charged)");
            }
            // The job may exist: with pushes, give its callback a chance before paying for another.
            Instant at = callbacks ? now.plus(expectedRun).plus(CALLBACK_GRACE) : now.plus(UNCONFIRMED_RETRY);
            return new AfterSubmitFailure.RetryAt(atOrBeforeDeadline(claimed, at));
        }
        // No job was made: back off by the submits that failed so far (1, 2, 4 … 60 s), never by the
        // prediction's age (a prediction that waited for a slot is no reason to wait longer now).
        Duration backoff = clamp(Duration.ofSeconds(1L << Math.min(claimed.checks(), 6)), Duration.ofSeconds(1), MAX_SUBMIT_BACKOFF);
        if (retryAfter.isPresent() && retryAfter.get().compareTo(backoff) > 0) {
            backoff = clamp(retryAfter.get(), backoff, MAX_SUBMIT_BACKOFF);
        }
        return new AfterSubmitFailure.RetryAt(atOrBeforeDeadline(claimed, now.plus(backoff)));
    }

    /** The first status check: when the provider expects the job to be done. */
    public Instant firstCheck(Prediction p, Duration expectedRun, Instant now) {
        return atOrBeforeDeadline(p, now.plus(expectedRun));
    }

    // ---- checks ----

    /** The next check of a running job: 1, 2, 4, 8, 15, 15 … s after this one. */
    public Instant nextCheck(Prediction p, Instant now) {
        return atOrBeforeDeadline(p, now.plus(checkBackoff(p.checks())));
    }

    /** After a check call that failed (the provider down, slow, rate-limiting). */
    public Instant checkRetry(Prediction p, Optional<Duration> retryAfter, Instant now) {
        Duration wait = clamp(retryAfter.orElse(checkBackoff(p.checks())), Duration.ofSeconds(1), MAX_SUBMIT_BACKOFF);
        return atOrBeforeDeadline(p, now.plus(wait));
    }

    /**
     * The provider does not know the job: a strike. Empty (fail) at the {@link #NOT_FOUND_LIMIT}-th
     * strike in a row; else look again after the strike's spacing, never less than a share of the
     * provider's {@code creationDelay} (how long a new job may stay invisible), so the strikes
     * never all fall inside it.
     */
    public Optional<Instant> afterNotFound(Prediction p, Duration creationDelay, Instant now) {
        int strike = p.notFoundChecks(); // strikes before this one
        if (strike + 1 >= NOT_FOUND_LIMIT) {
            return Optional.empty();
        }
        Duration wait = NOT_FOUND_SPACING.get(Math.min(strike, NOT_FOUND_SPACING.size() - 1));
        Duration share = creationDelay.dividedBy(NOT_FOUND_LIMIT - 1);
        return Optional.of(atOrBeforeDeadline(p, now.plus(wait.compareTo(share) < 0 ? share : wait)));
    }

    /** When the next round of cancels is due after {@code failedRounds} rounds failed. */
    public static Instant stopRetry(int failedRounds, Instant now) {
        return now.plus(STOP_RETRIES.get(Math.max(0, Math.min(failedRounds, STOP_RETRIES.size()) - 1)));
    }

    static Duration checkBackoff(int checks) {
        return clamp(Duration.ofSeconds(1L << Math.min(checks, 4)), Duration.ofSeconds(1), MAX_CHECK_BACKOFF);
    }

    // ---- copies ----

    /**
     * After a failed copy of the outputs: 1, 2, 4 … 60 s later (an output a CDN does not serve yet is
     * there within seconds), within the copy window; empty: give up.
     */
    public Optional<Instant> copyRetry(Prediction p, Instant now) {
        Duration wait = clamp(Duration.ofSeconds(1L << Math.min(p.copyAttempts(), 6)), Duration.ofSeconds(1), Duration.ofSeconds(60));
        Instant at = now.plus(wait);
        return at.isAfter(deadlineOf(p)) ? Optional.empty() : Optional.of(at);
    }

    /** After failed media work (a cut, a join): as a copy, but at most {@link #MEDIA_ATTEMPTS} in all; empty: give up. */
    public Optional<Instant> mediaRetry(Prediction p, Instant now) {
        return p.copyAttempts() + 1 >= MEDIA_ATTEMPTS ? Optional.empty() : copyRetry(p, now);
    }

    // ---- webhooks ----

    /** After attempt {@code attempt} (1-based) failed: how long until the next, or empty to give up. */
    public static Optional<Duration> webhookRetryAfter(int attempt) {
        return attempt >= 1 && attempt <= WEBHOOK_RETRIES.size() ? Optional.of(WEBHOOK_RETRIES.get(attempt - 1)) : Optional.empty();
    }

    /** When a finished prediction is next due for its effects (stopping jobs, notifying), or null when nothing is owed. */
    public static Instant effectsDue(Prediction p, Instant now) {
        Instant at = null;
        if (!p.jobs().toStop(p.phase()).isEmpty()) {
            Instant stop = p.jobs().stopDueAt();
            at = stop == null || stop.isBefore(now) ? now : stop;
        }
        if (p.notifications().resultFilePending()) {
            at = now;
        }
        if (p.notifications().webhookState() == dev.foley.prediction.WebhookState.PENDING) {
            Instant hook = p.notifications().webhookDueAt();
            hook = hook == null || hook.isBefore(now) ? now : hook;
            at = at == null || hook.isBefore(at) ? hook : at;
        }
        return at;
    }

    static Duration clamp(Duration d, Duration min, Duration max) {
        return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
    }
}
