package dev.foley.pipeline;

import dev.foley.lifecycle.Lifecycle;
import dev.foley.lifecycle.WindowRules;
import dev.foley.prediction.Notifications;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.Pricing;
import dev.foley.provider.ProviderChain;
import dev.foley.store.PredictionStore.Step;
import dev.foley.store.PredictionStore;
import dev.foley.time.Deadline;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * The complete stage: an upstream-done prediction's outputs brought into our bucket (copied as
 * they are, or through the media step: join, mix, convert, the sound check), then completed and
 * charged in one transaction; and a long video's cut, which is media work under the same claimed
 * step. The claim → act under a lease → retry-or-fail block is written once here
 * ({@link #claimedStep}).
 */
final class CompleteStage {

    private static final dev.foley.obs.Log.Logger LOG = dev.foley.obs.Log.logger("foley.pipeline");

    private final PredictionStore store;
    private final Clock clock;
    private final dev.foley.time.Sleeper sleeper;
    private final String owner;
    private final Lifecycle lifecycle;
    private final ProviderChain providers;
    private final OutputCopy outputs;
    private final Pricing pricing;
    private final Optional<MediaWork> media;
    private final Pipeline.CompletionTrigger completion;
    private final Pipeline.CompletionTrigger mediaTrigger;
    private final ChildStage children;
    private final ChildStage.Finisher finisher;
    private final BiFunction<Prediction, List<String>, Prediction> lost;

    CompleteStage(PredictionStore store, Clock clock, dev.foley.time.Sleeper sleeper, String owner, Lifecycle lifecycle,
            ProviderChain providers, OutputCopy outputs, Pricing pricing, Optional<MediaWork> media, Pipeline.CompletionTrigger completion,
            Pipeline.CompletionTrigger mediaTrigger, ChildStage children, ChildStage.Finisher finisher,
            BiFunction<Prediction, List<String>, Prediction> lost) {
        this.store = store;
        this.clock = clock;
        this.sleeper = sleeper;
        this.owner = owner;
        this.lifecycle = lifecycle;
        this.providers = providers;
        this.outputs = outputs;
        this.pricing = pricing;
        this.media = media;
        this.completion = completion;
        this.mediaTrigger = mediaTrigger;
        this.children = children;
        this.finisher = finisher;
        this.lost = lost;
    }

    /** The poller does not copy: it hands the prediction to completion again (its trigger may have been lost). */
    Prediction handOver(Prediction p) {
        Optional<Prediction> touched = store.moves().reschedule(p, clock.instant().plus(Lifecycle.COMPLETION_GRACE));
        touched.ifPresent(t -> completion.trigger(t.id()));
        return touched.orElseGet(() -> store.get(p.id()).orElse(p));
    }

    /**
     * Copies the outputs into our bucket under a claim, then completes and charges in one
     * transaction. Copying again (a retried completion) copies nothing more and charges nothing more.
     */
    Prediction copy(Prediction p, Deadline until) {
        return claimedStep(p, Step.COPY, Lifecycle.COPY_LEASE, "copy", true, until, outputs::copy, lifecycle::copyRetry,
                store.moves()::recordCopyFailure, this::completeWith);
    }

    /** Work done under a step's claim, within {@code until}. */
    private interface ClaimedWork<T> {
        T run(Prediction claimed, Deadline until) throws StepException;
    }

    /** Records a failed step's retry at its time: the claimed prediction moved, or empty if it moved meanwhile. */
    private interface RetryRecord {
        Optional<Prediction> record(Prediction claimed, Instant retryAt, List<String> lines);
    }

    /**
     * The claimed-step block, written once (the copy, the cut, the media work): claim {@code step}
     * (held while the work runs, renewed by a {@link LeaseKeeper}, the work given until
     * {@code budget} from now less the time to record), then record what came of it: {@code then}
     * with the result; a failure that may pass at its retry time ({@code retryAt}, recorded by
     * {@code recordRetry}); any other, or retries used up, fails the prediction ({@code jobEnded}:
     * its provider job is over). Someone else holding the step: {@code p} as it is.
     */
    private <T> Prediction claimedStep(Prediction p, Step step, java.time.Duration budget, String label, boolean jobEnded,
            Deadline until, ClaimedWork<T> work, java.util.function.BiFunction<Prediction, Instant, Optional<Instant>> retryAt,
            RetryRecord recordRetry, java.util.function.BiFunction<Prediction, T, Prediction> then) {
        Instant budgetEnd = clock.instant().plus(budget);
        Optional<Prediction> claimedOpt = store.moves().claim(p, step, owner, clock.instant().plus(LeaseKeeper.HELD), false);
        if (claimedOpt.isEmpty()) {
            return p; // someone else has it
        }
        Prediction claimed = claimedOpt.get();
        T result;
        try (LeaseKeeper held = LeaseKeeper.keep(store, claimed, clock, sleeper)) {
            result = work.run(claimed, until.orEarlier(budgetEnd.minus(Lifecycle.RECORD_MARGIN)));
        } catch (StepException e) {
            List<String> lines = List.of(label + ": " + e.getMessage());
            Optional<Instant> retry = e.retryable() ? retryAt.apply(claimed, clock.instant()) : Optional.empty();
            if (retry.isPresent()) {
                LOG.log(Level.WARNING, "{0} of {1} failed, will retry: {2}", label, p.id(), e.getMessage());
                return recordRetry.record(claimed, retry.get(), lines).orElseGet(() -> lost.apply(claimed, lines));
            }
            return finisher.finish(claimed, Phase.FAILED, e.getMessage(), jobEnded, lines).orElseGet(() -> lost.apply(claimed, lines));
        }
        return then.apply(claimed, result);
    }

    // ---- media: long videos, the original sound, formats ----

    /** Whether this step may do media work here; otherwise it is handed to the media function. */
    boolean mediaHere(Pipeline.Mode mode) {
        return mode == Pipeline.Mode.MEDIA && media.isPresent();
    }

    /** A media step due here but not doable here: the media function is asked (again), the prediction kept due meanwhile. */
    private Prediction handToMedia(Prediction p, boolean due) {
        if (!due) {
            mediaTrigger.trigger(p.id()); // just handed on (completion's own trigger): its due time is the fallback
            return p;
        }
        Optional<Prediction> touched = store.moves().reschedule(p, clock.instant().plus(Lifecycle.MEDIA_HANDOVER));
        touched.ifPresent(t -> mediaTrigger.trigger(t.id()));
        return touched.orElseGet(() -> store.get(p.id()).orElse(p));
    }

    /** Accepted long video: probe it and cut its windows (under a claim), then start the first windows. */
    Prediction cut(Prediction p, Pipeline.Mode mode, Deadline until) {
        if (!mediaHere(mode)) {
            return handToMedia(p, true);
        }
        return claimedStep(p, Step.MEDIA, Lifecycle.MEDIA_LEASE, "cut", false, until, (c, u) -> media.get().cut(c, u),
                lifecycle::mediaRetry, store.moves()::recordCutFailure, children::cutDone);
    }

    /** Upstream done and the result needs media work: join, mix, convert (in the media function), then complete and charge. */
    Prediction finishMedia(Prediction p, Pipeline.Mode mode, boolean due, Deadline until) {
        if (!mediaHere(mode)) {
            return mode == Pipeline.Mode.WORKER && !due ? p : handToMedia(p, due);
        }
        return claimedStep(p, Step.COPY, Lifecycle.MEDIA_LEASE, "media", true, until,
                (c, u) -> media.get().finish(c, c.upstreamOutputs(), u), lifecycle::mediaRetry, store.moves()::recordCopyFailure, this::made);
    }

    /** The media work is done: its outputs (and their sound check, with each take's seed) recorded, completed and charged. */
    private Prediction made(Prediction claimed, MediaWork.Finished made) {
        if (claimed.hasTakes() || claimed.takesPerWindow() > 1) {
            made = new MediaWork.Finished(made.keys(), withSeeds(claimed, made.quality()), made.seconds());
        }
        if (!made.quality().isEmpty()) {
            // The sound check in the prediction's log line and as metrics.
            LOG.event(Level.INFO, "sound check", java.util.Map.of("quality", "[" + String.join(",", made.quality()) + "]"));
            for (String q : made.quality()) {
                var n = dev.foley.json.Json.parse(q);
                if (n.at("/sync/offset_ms").isNumber()) {
                    dev.foley.obs.Metrics.put(dev.foley.obs.Metrics.Metric.SyncOffset, Math.abs(n.at("/sync/offset_ms").asDouble()));
                }
                if (n.at("/loudness/integrated_lufs").isNumber()) {
                    dev.foley.obs.Metrics.put(dev.foley.obs.Metrics.Metric.IntegratedLoudness, n.at("/loudness/integrated_lufs").asDouble());
                }
            }
        }
        return completeWith(claimed, made.keys(), made.quality(), made.seconds());
    }

    private Prediction completeWith(Prediction claimed, List<String> keys) {
        return completeWith(claimed, keys, List.of(), Double.NaN);
    }

    /** Each take's report with the seed its child was made with (the last attempt's; one the provider never got is not shown). */
    private List<String> withSeeds(Prediction p, List<String> quality) {
        java.util.Map<Integer, Integer> seeds = new java.util.HashMap<>();
        java.util.Map<Integer, Integer> attempts = new java.util.HashMap<>();
        for (Prediction child : store.windowsOf(p.id())) {
            var st = WindowRules.startOf(child.id());
            boolean sent = child.job() == null || providers.byName(child.job().provider()).map(x -> x.takesSeed(child.request().spec())).orElse(false);
            if (st.attempt() >= attempts.getOrDefault(st.index(), -1)) {
                attempts.put(st.index(), st.attempt());
                seeds.put(st.index(), sent ? child.request().seed() : null);
            }
        }
        return Children.withSeeds(quality, seeds, p.takesPerWindow());
    }

    /** Completes a claimed prediction with its outputs in our bucket: charged (a window is not), its effects due. */
    private Prediction completeWith(Prediction claimed, List<String> keys, List<String> quality, double measured) {
        Instant now = clock.instant();
        Notifications owed = Pipeline.owedOnFinish(claimed, now);
        Prediction projected = claimed.toBuilder().phase(Phase.COMPLETED).notifications(owed).build();
        long charge = claimed.isWindow() ? 0 : pricing.costOf(claimed, measured);
        Optional<Prediction> done = store.moves().complete(claimed, keys, quality, claimed.isWindow() ? 0 : Pricing.secondsOf(claimed, measured), charge, owed,
                Lifecycle.effectsDue(projected, now), List.of());
        if (done.isPresent() && claimed.isWindow()) {
            children.wakeParent(done.get());
        }
        return done.orElseGet(() -> store.get(claimed.id()).orElse(claimed));
    }
}
