package dev.foley.pipeline;

import dev.foley.lifecycle.Lifecycle.AfterSubmitFailure;
import dev.foley.lifecycle.Lifecycle;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.ProviderJob;
import dev.foley.provider.ProviderChain;
import dev.foley.store.PredictionStore.Step;
import dev.foley.store.PredictionStore;
import dev.foley.time.Deadline;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.ToIntFunction;
import java.util.function.UnaryOperator;

/**
 * The submit stage: an accepted prediction claimed for its submit, sent to the provider chain
 * (within the provider's cap on predictions at work: a slot taken with the claim, or the
 * prediction queued in its turn), and what came of it recorded. A job made after the prediction
 * moved on is recorded as an orphan, to stop.
 */
final class SubmitStage {

    private static final dev.foley.obs.Log.Logger LOG = dev.foley.obs.Log.logger("foley.pipeline");

    private final PredictionStore store;
    private final Clock clock;
    private final String owner;
    private final Lifecycle lifecycle;
    private final ProviderChain providers;
    private final Optional<String> callbackBase;
    private final ToIntFunction<String> maxInFlight;
    private final UnaryOperator<String> workLinks;
    private final Pipeline.CompletionTrigger completion;
    private final ChildStage.Finisher finisher;
    private final BiFunction<Prediction, List<String>, Prediction> lost;
    /**
     * Providers found full here lately, until when: meanwhile waiters are not sent to ask again (a
     * refusal we already know of costs no write), and a newcomer queues at once.
     */
    private final java.util.Map<String, Instant> fullUntil = new java.util.concurrent.ConcurrentHashMap<>();
    static final Duration FULL_MEMO = Duration.ofMillis(500);
    /** A waiter asks for a slot again after this long (the poller's ticks carry it). */
    static final Duration WAIT_RETRY = Duration.ofSeconds(1);

    SubmitStage(PredictionStore store, Clock clock, String owner, Lifecycle lifecycle, ProviderChain providers,
            Optional<String> callbackBase, ToIntFunction<String> maxInFlight, UnaryOperator<String> workLinks,
            Pipeline.CompletionTrigger completion, ChildStage.Finisher finisher, BiFunction<Prediction, List<String>, Prediction> lost) {
        this.store = store;
        this.clock = clock;
        this.owner = owner;
        this.lifecycle = lifecycle;
        this.providers = providers;
        this.callbackBase = callbackBase;
        this.maxInFlight = maxInFlight;
        this.workLinks = workLinks;
        this.completion = completion;
        this.finisher = finisher;
        this.lost = lost;
    }

    Prediction submit(Prediction p, Deadline until) {
        if (p.queuedAt() != null && (knownFull(p) || behindOlderWaiter(p))) {
            return p; // a waiter whose provider is known to be full, or whose elder waits: it keeps its turn, nothing is written
        }
        Instant leaseEnd = clock.instant().plus(Lifecycle.SUBMIT_LEASE);
        Optional<Prediction> claimed = store.moves().claim(p, Step.SUBMIT, owner, leaseEnd, false);
        if (claimed.isEmpty()) {
            return p; // someone else has it: nothing more to do here
        }
        if (lifecycle.callbacks() && p.jobs().unconfirmed() > 0 && p.job() == null) {
            // A submit that may have made a job was given its callback's time, and none came.
            LOG.log(Level.WARNING, "{0}: no callback came for a submit that may have made a job; submitting again"
                    + " (do pushes reach this deployment? check FOLEY_CALLBACK_BASE_URL)", p.id());
        }
        return submitAct(claimed.get(), Optional.empty(), until.orEarlier(leaseEnd.minus(Lifecycle.RECORD_MARGIN)));
    }

    /** The oldest waiter refused here lately, per provider: younger waiters do not go before it. */
    private record Head(Instant createdAt, Instant until) {
    }

    private final java.util.Map<String, Head> heads = new java.util.concurrent.ConcurrentHashMap<>();
    static final Duration HEAD_MEMO = Duration.ofSeconds(3);

    private boolean behindOlderWaiter(Prediction p) {
        Head h = heads.get(providers.primary().name());
        return h != null && clock.instant().isBefore(h.until()) && p.createdAt().isAfter(h.createdAt());
    }

    /** Whether {@code p} would need a slot at a provider found full here a moment ago. */
    private boolean knownFull(Prediction p) {
        String provider = providers.primary().name();
        if (p.slot() != null || maxInFlight.applyAsInt(provider) <= 0) {
            return false;
        }
        Instant until = fullUntil.get(provider);
        return until != null && clock.instant().isBefore(until);
    }

    /**
     * The act of a claimed submit, and its record. With a cap on the provider's predictions at
     * work, a slot is taken first (with the prediction, in one transaction); with none free, the
     * prediction waits, neither failed nor sent to be refused.
     */
    Prediction submitAct(Prediction claimedIn, Optional<String> pushBase, Deadline until) {
        String primary = providers.primary().name();
        int cap = maxInFlight.applyAsInt(primary);
        if (cap <= 0 || claimedIn.slot() != null) {
            return submitHeld(claimedIn, pushBase, until);
        }
        dev.foley.store.ProviderSlots.SlotOutcome slot = knownFull(claimedIn) ? new dev.foley.store.ProviderSlots.SlotOutcome.Full()
                : store.slots().acquireSlot(claimedIn, primary, cap);
        return switch (slot) {
            case dev.foley.store.ProviderSlots.SlotOutcome.Acquired a -> {
                fullUntil.remove(primary);
                heads.computeIfPresent(primary, (k, h) -> claimedIn.createdAt().isBefore(h.createdAt()) ? h : null);
                yield submitHeld(a.prediction(), pushBase, until);
            }
            case dev.foley.store.ProviderSlots.SlotOutcome.Full f -> {
                fullUntil.put(primary, clock.instant().plus(FULL_MEMO));
                Instant headUntil = clock.instant().plus(HEAD_MEMO);
                heads.merge(primary, new Head(claimedIn.createdAt(), headUntil), (old, mine) ->
                        clock.instant().isBefore(old.until()) && old.createdAt().isBefore(mine.createdAt())
                                ? (old.createdAt().equals(mine.createdAt()) ? mine : old) : mine);
                yield store.slots().recordQueued(claimedIn, primary, cap, clock.instant().plus(WAIT_RETRY)).orElseGet(() -> store.get(claimedIn.id()).orElse(claimedIn));
            }
            case dev.foley.store.ProviderSlots.SlotOutcome.Lost l -> store.get(claimedIn.id()).orElse(claimedIn);
        };
    }

    private Prediction submitHeld(Prediction claimed, Optional<String> pushBase, Deadline until) {
        Optional<String> base = callbackBase.or(() -> pushBase);
        long t0 = System.nanoTime();
        ProviderChain.Outcome outcome = providers.submit(linked(claimed.request()),
                name -> base.map(b -> URI.create(b + "/internal/callbacks/" + name + "/" + claimed.id())), until);
        dev.foley.obs.Metrics.put(dev.foley.obs.Metrics.Metric.ProviderSubmitLatency, (System.nanoTime() - t0) / 1_000_000,
                "Provider", outcome instanceof ProviderChain.Outcome.Started st ? st.provider().name() : providers.primary().name());
        List<String> lines = outcome.attempts();
        Instant now = clock.instant();
        return switch (outcome) {
            case ProviderChain.Outcome.Started s -> {
                Instant first = lifecycle.firstCheck(claimed, s.provider().expectedDuration(claimed.request()), now);
                yield store.moves().recordSubmitted(claimed, s.job(), first, lines)
                        // Lost the claim meanwhile (a cancel, an adopted callback, a take-over after the lease ran out).
                        .orElseGet(() -> orphaned(claimed.id(), s.job(), lines));
            }
            case ProviderChain.Outcome.Rejected r -> finisher.finish(claimed, Phase.FAILED, r.reason(), false, lines)
                    .orElseGet(() -> lost.apply(claimed, lines));
            case ProviderChain.Outcome.NotStarted n -> {
                AfterSubmitFailure next = lifecycle.afterSubmitFailure(claimed, n.maybeCreated(), n.retryAfter(),
                        providers.primary().expectedDuration(claimed.request()), now);
                yield switch (next) {
                    case AfterSubmitFailure.RetryAt r -> store.moves().recordSubmitFailure(claimed, n.maybeCreated(), r.at(), lines)
                            .orElseGet(() -> lost.apply(claimed, lines));
                    case AfterSubmitFailure.WaitForCallback w -> {
                        LOG.log(Level.WARNING, "{0}: no submit left that could not double the bill; waiting for the provider''s"
                                + " callback until the deadline (if none comes, it fails then, never charged)", claimed.id());
                        List<String> waiting = Pipeline.append(lines, "no submit left that could not double the bill: waiting for the provider's callback");
                        yield store.moves().recordSubmitFailure(claimed, n.maybeCreated(), w.until(), waiting)
                                .orElseGet(() -> lost.apply(claimed, waiting));
                    }
                    case AfterSubmitFailure.Fail f -> finisher.finish(claimed, Phase.FAILED, f.reason(), false, lines)
                            .orElseGet(() -> lost.apply(claimed, lines));
                };
            }
        };
    }

    /** A job our submit made after the prediction moved on: unless it is already the tracked one, an orphan to stop. */
    private Prediction orphaned(String id, ProviderJob job, List<String> lines) {
        Prediction now = store.get(id).orElse(null);
        if (now == null || now.jobs().knows(job)) {
            // Adopted through its callback meanwhile: nothing is orphaned; the submit's lines still go on record.
            store.moves().appendAttempts(id, lines);
            return now == null ? null : store.get(id).orElse(now);
        }
        Prediction after = store.moves().recordOrphan(id, job, false, Pipeline.append(lines, "job " + job.key()
                + " is an orphan: the prediction moved on before its submit was answered")).orElse(now);
        completion.trigger(id);
        return after;
    }

    /** A window's request with its clip's reference made a fresh link the provider can fetch. */
    private PredictionRequest linked(PredictionRequest r) {
        if (r.video() == null || !r.video().startsWith(MediaWork.WORK_REF)) {
            return r;
        }
        return r.withVideo(workLinks.apply(r.video().substring(MediaWork.WORK_REF.length())));
    }
}
