package dev.foley.pipeline;

import dev.foley.lifecycle.Lifecycle;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.ProviderJob;
import dev.foley.provider.InferenceProvider;
import dev.foley.provider.JobStatus;
import dev.foley.provider.JobUpdate;
import dev.foley.provider.ProviderChain;
import dev.foley.provider.ProviderException;
import dev.foley.store.PredictionStore;
import dev.foley.time.Deadline;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The check stage: a submitted prediction's job asked about (a status check within its budget and
 * the prediction's deadline) or told about (a verified callback), and what it says applied: still
 * running (next check at its time), failed, or done (handed to completion). A callback about a job
 * the prediction does not track is adopted (a submit's lost answer), revived (a late "done" for a
 * job given up as unknown) or recorded as an orphan.
 */
final class CheckStage {

    private static final dev.foley.obs.Log.Logger LOG = dev.foley.obs.Log.logger("foley.pipeline");
    /** A step's status check may take this long at most. */
    static final Duration CHECK_BUDGET = Duration.ofSeconds(30);
    /** Providers whose job a poll found done before its push came (warned once each). */
    private final Set<String> pushesMissed = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final PredictionStore store;
    private final Clock clock;
    private final Lifecycle lifecycle;
    private final ProviderChain providers;
    private final Pipeline.CompletionTrigger completion;
    private final ChildStage children;
    private final ChildStage.Finisher finisher;
    private final Consumer<Prediction> handOffIfOwed;

    CheckStage(PredictionStore store, Clock clock, Lifecycle lifecycle, ProviderChain providers, Pipeline.CompletionTrigger completion,
            ChildStage children, ChildStage.Finisher finisher, Consumer<Prediction> handOffIfOwed) {
        this.store = store;
        this.clock = clock;
        this.lifecycle = lifecycle;
        this.providers = providers;
        this.completion = completion;
        this.children = children;
        this.finisher = finisher;
        this.handOffIfOwed = handOffIfOwed;
    }

    /**
     * A verified provider callback for prediction {@code p}: applied when it is about the tracked
     * job; adopted when the prediction still waits for a submit's answer that may have made this
     * job; otherwise the job is an orphan (recorded, and stopped if it still runs).
     */
    Pipeline.CallbackOutcome onCallback(Prediction p, InferenceProvider provider, JobUpdate update) {
        if (!provider.mayBelongTo(update, p.request())) {
            return Pipeline.CallbackOutcome.IGNORED;
        }
        Prediction current = p;
        for (int attempt = 0; attempt < 4; attempt++) {
            ProviderJob job = current.job();
            boolean tracked = job != null && job.provider().equals(provider.name()) && job.id().equals(update.jobId());
            if (tracked && update.status() instanceof JobStatus.Done d && lostButAlive(current)) {
                Optional<Prediction> revived = store.moves().revive(current, d.outputs(), d.nsfw(), d.inferenceMs(),
                        clock.instant().plus(Lifecycle.COMPLETION_GRACE), List.of(provider.name() + ": callback says job "
                                + update.jobId() + " is done, after the prediction failed as unknown to the provider: adopted again"));
                if (revived.isPresent()) {
                    LOG.log(Level.WARNING, "{0}: job {1} was given up as unknown to {2}, then reported done: adopted again",
                            current.id(), update.jobId(), provider.name());
                    completion.trigger(current.id());
                    return Pipeline.CallbackOutcome.ADOPTED;
                }
                Prediction reread = store.get(p.id()).orElse(current);
                if (reread.version() == current.version()) { // nothing else moved it: the revive itself was refused
                    LOG.log(Level.WARNING, "{0}: job {1} is done but could not be adopted again (a prepaid balance that no longer"
                            + " holds its price)", current.id(), update.jobId());
                    return Pipeline.CallbackOutcome.IGNORED;
                }
                current = reread; // moved meanwhile (its job's stop recorded, say): try again on what it is now
                continue;
            }
            if (tracked) {
                Prediction after = apply(current, update.status(), true);
                handOffIfOwed.accept(after);
                return Pipeline.CallbackOutcome.APPLIED;
            }
            ProviderJob named = ProviderJob.of(provider.name(), update.jobId());
            if (current.phase() == Phase.ACCEPTED && current.jobs().unconfirmed() > 0) {
                Optional<Prediction> adopted = store.moves().adopt(current, named,
                        List.of(provider.name() + ": callback names job " + update.jobId() + ", adopted (its submit's answer was lost or late)"));
                if (adopted.isPresent()) {
                    Prediction after = apply(adopted.get(), update.status(), true);
                    handOffIfOwed.accept(after);
                    return Pipeline.CallbackOutcome.ADOPTED;
                }
            } else if (current.jobs().knows(named)) {
                return Pipeline.CallbackOutcome.ORPHAN; // known already (a duplicate callback)
            } else {
                boolean running = update.status() instanceof JobStatus.Running;
                store.moves().recordOrphan(current.id(), named, !running, List.of(provider.name() + ": callback for job "
                        + update.jobId() + ", which this prediction does not follow: an orphan" + (running ? ", to stop" : ", ended")));
                if (running) {
                    completion.trigger(current.id());
                }
                return Pipeline.CallbackOutcome.ORPHAN;
            }
            current = store.get(p.id()).orElse(current);
        }
        return Pipeline.CallbackOutcome.IGNORED;
    }

    /** Failed only because its provider no longer knew the job, and still within its life: a late "done" may adopt it. */
    private boolean lostButAlive(Prediction p) {
        return p.phase() == Phase.FAILED && p.error().startsWith(Lifecycle.JOB_LOST) && !p.isWindow() && !p.hasChildren()
                && clock.instant().isBefore(lifecycle.deadlineOf(p));
    }


    Prediction check(Prediction p, Deadline until, boolean handOff) {
        Optional<InferenceProvider> provider = providers.byName(p.job().provider());
        if (provider.isEmpty()) {
            return finisher.finish(p, Phase.FAILED, "the inference provider that ran this job is no longer configured", false,
                    List.of("provider " + p.job().provider() + " is no longer configured")).orElseGet(() -> store.get(p.id()).orElse(p));
        }
        Instant now = clock.instant();
        try {
            // A slow provider's check never carries the prediction past its deadline.
            JobStatus s = provider.get().check(p.job(), until.orEarlier(now.plus(CHECK_BUDGET)).orEarlier(lifecycle.deadlineOf(p)));
            if (s instanceof JobStatus.Done && lifecycle.callbacks() && provider.get().base().isPresent()
                    && pushesMissed.add(p.job().provider())) {
                // Pushes are configured, yet polling found a job done first: said once per provider and process.
                LOG.log(Level.WARNING, "{0}: a status check found job {1} done before {2}''s callback came; polling carries"
                        + " on, but if this repeats, pushes may not reach this deployment (check FOLEY_CALLBACK_BASE_URL)",
                        p.id(), p.job().id(), p.job().provider());
            }
            return apply(p, s, handOff);
        } catch (ProviderException e) {
            List<String> lines = Pipeline.append(e.attempts(), "check: " + e.getMessage());
            now = clock.instant(); // a retry waits from the failure's end, not from before the call's own retries
            if (e.kind() == ProviderException.Kind.NOT_FOUND) {
                Optional<Instant> again = lifecycle.afterNotFound(p, provider.get().creationDelay(), now);
                if (again.isPresent()) {
                    return store.moves().recordCheck(p, again.get(), p.notFoundChecks() + 1, lines).orElseGet(() -> store.get(p.id()).orElse(p));
                }
                // Not surely ended: the job Foley last saw may still run (and be paid for), so it gets a
                // cancel; a callback that still names it, in the prediction's life, is adopted.
                return finisher.finish(p, Phase.FAILED, Lifecycle.JOB_LOST + " (not found " + Lifecycle.NOT_FOUND_LIMIT
                        + " times in a row)", false, lines).orElseGet(() -> store.get(p.id()).orElse(p));
            }
            if (e.kind() == ProviderException.Kind.CONFIGURATION) {
                LOG.log(Level.ERROR, "provider credentials refused checking {0}: {1}", p.id(), e.getMessage());
            }
            return store.moves().recordCheck(p, lifecycle.checkRetry(p, e.retryAfter(), now), p.notFoundChecks(), lines)
                    .orElseGet(() -> store.get(p.id()).orElse(p));
        }
    }

    /** What a status check or a verified callback says, applied to {@code p}; {@code handOff}: start completion elsewhere. */
    Prediction apply(Prediction p, JobStatus status, boolean handOff) {
        if (p.phase() != Phase.SUBMITTED) {
            return p; // a late or duplicate answer: the prediction has moved on
        }
        Instant now = clock.instant();
        return switch (status) {
            case JobStatus.Running r -> store.moves().recordCheck(p, lifecycle.nextCheck(p, now), 0, List.of())
                    .orElseGet(() -> store.get(p.id()).orElse(p));
            case JobStatus.Failed f -> finisher.finish(p, Phase.FAILED, f.reason(), true,
                    List.of(p.job().provider() + ": job " + p.job().id() + " failed: " + f.detail()))
                    .orElseGet(() -> store.get(p.id()).orElse(p));
            case JobStatus.Done d -> {
                Optional<Prediction> moved = store.moves().markUpstreamDone(p, d.outputs(), d.nsfw(), d.inferenceMs(),
                        now.plus(Lifecycle.COMPLETION_GRACE));
                if (moved.isPresent() && handOff) {
                    completion.trigger(p.id());
                }
                if (moved.isPresent() && p.isWindow()) {
                    children.wakeParent(p); // its provider slot is free: the next window can start while this one is copied
                }
                yield moved.orElseGet(() -> store.get(p.id()).orElse(p));
            }
        };
    }
}
