package dev.foley.pipeline;

import dev.foley.lifecycle.Lifecycle.Work;
import dev.foley.lifecycle.Lifecycle;
import dev.foley.prediction.Jobs;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Notifications;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.Pricing;
import dev.foley.prediction.WebhookState;
import dev.foley.provider.InferenceProvider;
import dev.foley.provider.JobUpdate;
import dev.foley.provider.ProviderChain;
import dev.foley.store.PredictionStore;
import dev.foley.store.WebhookAttempts;
import dev.foley.time.Deadline;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import java.util.function.UnaryOperator;

/**
 * Every step of a prediction's life, done as <b>claim, then act, then record</b>. What is due, and
 * what each outcome leads to, is decided by {@link Lifecycle} (pure rules); this class does the
 * I/O around those decisions:
 * <ul>
 * <li>a step with an effect outside the table (a provider submit, a cancel, a webhook attempt, a
 *     copy to S3) is first claimed with a conditional write that leases it to one owner; only the
 *     owner acts, then records what happened, conditional on its claim still standing. A step that
 *     lost its claim acts on nothing more: a job it made anyway is recorded as an orphan and
 *     stopped;</li>
 * <li>status checks and callbacks need no claim (they only read the provider); their transitions
 *     are conditional writes, so racing ones cannot both win;</li>
 * <li>effects of a finished prediction (stopping jobs, webhooks, result files) run only on the
 *     worker side (the poller and the completion function), never inside an API request.</li>
 * </ul>
 */
public final class Pipeline {

    /** Something that works on a prediction soon, off the caller's path (an async Lambda invoke, or a local thread). */
    @FunctionalInterface
    public interface CompletionTrigger {
        void trigger(String predictionId);
    }

    /** Writes what an S3-triggered prediction's uploader gets beside the upload (result or error file). */
    @FunctionalInterface
    public interface ResultFiles {
        void write(Prediction p) throws Exception;
    }

    /** Who is stepping, which decides what it may do itself. */
    public enum Mode {
        /** The poller: everything but copying outputs, which it hands to completion. */
        WORKER,
        /** The completion function: everything. */
        COMPLETION,
        /** Inside an API request (sync mode): phase work only; effects are handed to completion. */
        REQUEST,
        /** The media function: everything, and the media work (cutting, joining) itself. */
        MEDIA
    }

    /** What a verified provider callback came to. */
    public enum CallbackOutcome { APPLIED, ADOPTED, ORPHAN, IGNORED }


    private final PredictionStore store;
    private final Clock clock;
    private final Lifecycle lifecycle;
    private final String owner;
    private final CompletionTrigger completion;
    private final CompletionTrigger mediaTrigger;
    /**
     * Whether this deployment has the media function (or local mode's media work): then every
     * result is checked there ({@code sound_check}, on by default). Without it (a stack wired without
     * media, as some tests are) results that need no other media work are copied as they are.
     */
    private final boolean mediaDeployed;
    /** The effects stage: stopping jobs, webhooks, result files. */
    private final Effects effects;
    /** The children stage: a long video's windows and a prediction's takes, planned, started, gathered. */
    private final ChildStage children;
    /** The submit stage: a claimed submit within the provider's cap, and its record. */
    private final SubmitStage submits;
    /** The check stage: status checks and callbacks. */
    private final CheckStage checks;
    /** The complete stage: outputs copied or made by the media step, completed and charged; a long video's cut. */
    private final CompleteStage completes;

    /**
     * What the pipeline hands work to and how it sizes it, fixed when it is built: where completion
     * and media steps run (each given the pipeline it runs for; by default here, at once), the media
     * work this process does itself, how a window's clip becomes a link the provider can fetch, how
     * many windows and predictions may be at each provider at once ({@code FOLEY_WINDOW_CONCURRENCY},
     * {@code FOLEY_PROVIDER_MAX_IN_FLIGHT}; 0: no cap), and how S3-triggered predictions' result
     * files are written. {@code mediaDeployed}: a media step exists (the media function, or local
     * mode's): every result is then checked there.
     */
    public record Handoffs(Function<Pipeline, CompletionTrigger> completion, Function<Pipeline, CompletionTrigger> media,
            Optional<MediaWork> work, boolean mediaDeployed, UnaryOperator<String> workLinks, ToIntFunction<String> windowConcurrency,
            ToIntFunction<String> maxInFlight, ResultFiles resultFiles) {

        /** Everything here, at once; no media step, no caps, no result files. */
        public static Handoffs here() {
            return new Handoffs(p -> p::runToRest, p -> p::runMedia, Optional.empty(), false, ref -> ref, provider -> 4, provider -> 0,
                    p -> { });
        }

        public Handoffs completionBy(Function<Pipeline, CompletionTrigger> c) {
            return new Handoffs(c, media, work, mediaDeployed, workLinks, windowConcurrency, maxInFlight, resultFiles);
        }

        /** Media steps handed to {@code m} (the media function, or threads of this process): a media step exists. */
        public Handoffs mediaBy(Function<Pipeline, CompletionTrigger> m) {
            return new Handoffs(completion, m, work, true, workLinks, windowConcurrency, maxInFlight, resultFiles);
        }

        /** The media work this process does itself (the media function, local mode): a media step exists. */
        public Handoffs mediaWork(MediaWork w) {
            return new Handoffs(completion, media, Optional.of(w), true, workLinks, windowConcurrency, maxInFlight, resultFiles);
        }

        public Handoffs sized(UnaryOperator<String> links, ToIntFunction<String> windows, ToIntFunction<String> inFlight) {
            return new Handoffs(completion, media, work, mediaDeployed, links, windows, inFlight, resultFiles);
        }

        public Handoffs resultFilesBy(ResultFiles files) {
            return new Handoffs(completion, media, work, mediaDeployed, workLinks, windowConcurrency, maxInFlight, files);
        }
    }

    public Pipeline(PredictionStore store, WebhookAttempts webhookAttempts, ProviderChain providers, OutputCopy outputs,
            WebhookSender webhooks, Clock clock, dev.foley.time.Sleeper sleeper, Lifecycle lifecycle, Optional<String> callbackBase,
            Pricing pricing, String owner, Handoffs handoffs) {
        this.store = store;
        this.clock = clock;
        this.lifecycle = lifecycle;
        this.owner = owner;
        this.mediaDeployed = handoffs.mediaDeployed();
        this.effects = new Effects(store, providers, webhooks, webhookAttempts, handoffs.resultFiles(), clock, owner, this::recordEffects);
        // The triggers only keep the pipeline to call it later: nothing runs before it is built.
        this.completion = handoffs.completion().apply(this);
        this.mediaTrigger = handoffs.media().apply(this);
        this.children = new ChildStage(store, clock, owner, lifecycle, providers, handoffs.windowConcurrency(), completion, mediaTrigger,
                this::finishOf, this::lost, this::handOffIfOwed);
        this.submits = new SubmitStage(store, clock, owner, lifecycle, providers, callbackBase, handoffs.maxInFlight(),
                handoffs.workLinks(), completion, this::finishOf, this::lost);
        this.checks = new CheckStage(store, clock, lifecycle, providers, completion, children, this::finishOf, this::handOffIfOwed);
        this.completes = new CompleteStage(store, clock, sleeper, owner, lifecycle, providers, outputs, pricing, handoffs.work(),
                completion, mediaTrigger, children, this::finishOf, this::lost);
    }

    /** Whether {@code p}'s result goes through the media step: media work asked for, or its sound check. */
    boolean viaMedia(Prediction p) {
        return p.needsMedia() || mediaDeployed && !p.isWindow() && p.request().media().soundCheck();
    }



    /** The media function's work: everything due for this prediction now, media steps included. */
    public Prediction runMedia(String predictionId) {
        Optional<Prediction> found = store.get(predictionId);
        return found.map(p -> advance(p, Mode.MEDIA, Deadline.in(clock, Lifecycle.MEDIA_LEASE))).orElse(null);
    }



    /** Who claims steps here (kept on each lease, for operators). */
    public String owner() {
        return owner;
    }

    // ---- entry points ----

    /**
     * The first submit of a prediction stored already claimed for it ({@link Prediction#claimedForSubmit}),
     * made now, within {@code until}. Whatever happens, the prediction is stored: the poller carries on.
     */
    public Prediction submitClaimed(Prediction claimed, Optional<String> pushBase, Deadline until) {
        if (claimed.kind() == Kind.LONG) {
            mediaTrigger.trigger(claimed.id()); // a long video is cut first, by the media function
            return claimed;
        }
        if (claimed.hasTakes()) {
            return children.planTakes(claimed); // each take is a child with its own claimed submit
        }
        Prediction after = submits.submitAct(claimed, pushBase, until);
        handOffIfOwed(after);
        return after;
    }

    /** Works on {@code p} until nothing more is due now (at most a few steps); returns where it got. */
    public Prediction advance(Prediction p, Mode mode, Deadline until) {
        try (var scope = dev.foley.obs.Log.with("prediction_id", p.id())) {
            return advanceLogged(p, mode, until);
        }
    }

    private Prediction advanceLogged(Prediction p, Mode mode, Deadline until) {
        Prediction current = p;
        for (int i = 0; i < 8 && !until.passed(); i++) {
            Work w = lifecycle.next(current, clock.instant(), mode != Mode.REQUEST, completes.mediaHere(mode));
            if (w instanceof Work.Wait) {
                return current;
            }
            Prediction next = step(current, w, mode, until);
            if (next.version() == current.version()) {
                return next; // nothing moved (or the step was handed elsewhere)
            }
            current = next;
        }
        return current;
    }

    /** The completion function's work: everything due for this prediction now. */
    public Prediction runToRest(String predictionId) {
        Optional<Prediction> found = store.get(predictionId);
        return found.map(p -> advance(p, Mode.COMPLETION, Deadline.in(clock, Lifecycle.COPY_LEASE))).orElse(null);
    }

    /** Kept for callers that complete by id (tests, benchmarks): the same as {@link #runToRest}. */
    public Prediction complete(String predictionId) {
        return runToRest(predictionId);
    }

    /** Cancels on the client's request: never charged; its jobs are stopped off the request path. */
    public Optional<Prediction> cancel(Prediction p) {
        if (p.phase().terminal() || p.isWindow()) {
            return Optional.empty();
        }
        Optional<Prediction> moved = finishOf(p, Phase.CANCELLED, "cancelled by the client", false, List.of());
        moved.ifPresent(this::handOffIfOwed);
        return moved;
    }

    /**
     * A verified provider callback for prediction {@code p} (the check stage's): applied when it is
     * about the tracked job, adopted, or recorded as an orphan.
     */
    public CallbackOutcome onCallback(Prediction p, InferenceProvider provider, JobUpdate update) {
        return checks.onCallback(p, provider, update);
    }

    // ---- one step ----

    private Prediction step(Prediction p, Work w, Mode mode, Deadline until) {
        return switch (w) {
            case Work.Wait wait -> p;
            case Work.TimeOut t -> finishOf(p, Phase.FAILED, t.reason(), p.phase() == Phase.UPSTREAM_DONE,
                    List.of("deadline passed in phase " + p.phase().code())).orElseGet(() -> reread(p));
            case Work.StopJobs s -> mode == Mode.REQUEST ? handOff(p) : effects.stopJobs(p, until);
            case Work.Submit s -> p.kind() == Kind.LONG ? completes.cut(p, mode, until)
                    : p.hasTakes() ? children.planTakes(p) : submits.submit(p, until);
            case Work.Check c -> p.hasChildren() ? children.gather(p) : checks.check(p, until, mode == Mode.WORKER);
            case Work.Copy c -> viaMedia(p) ? completes.finishMedia(p, mode, c.due(), until)
                    : mode != Mode.WORKER ? completes.copy(p, until) : c.due() ? completes.handOver(p) : p;
            case Work.Notify n -> mode == Mode.REQUEST ? handOff(p) : effects.notifyClient(p, until);
        };
    }

    /**
     * Records what an effects claim did. Only an orphan's record moves a finished prediction while
     * its effects are claimed; then the lease is still ours, and the record is made on the new
     * version (losing it would mean delivering the webhook again).
     */
    private Prediction recordEffects(Prediction claimed, Set<String> stopped, Notifications owed, Instant due, List<String> lines) {
        return recordEffects(claimed, stopped, null, owed, due, lines);
    }

    private Prediction recordEffects(Prediction claimed, Set<String> stopped, Jobs stops, Notifications owed, Instant due,
            List<String> lines) {
        Prediction current = claimed;
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<Prediction> recorded = store.moves().recordEffects(current, stopped, stops, owed, due, lines);
            if (recorded.isPresent()) {
                return recorded.get();
            }
            Prediction now = reread(current);
            if (now.lease() == null || !now.lease().equals(claimed.lease()) || now.phase() != claimed.phase()) {
                return lost(now, lines);
            }
            current = now;
            if (!now.jobs().toStop(now.phase()).isEmpty()) {
                due = clock.instant(); // the orphan that moved it is still to stop
            }
        }
        return lost(current, lines);
    }

    /** A step whose record lost its race: what it did still goes on the record; the prediction as it is now. */
    private Prediction lost(Prediction p, List<String> lines) {
        store.moves().appendAttempts(p.id(), append(lines, "(recorded late: the prediction had moved on)"));
        return reread(p);
    }

    // ---- finished: effects (the effects stage, Effects) ----

    // ---- shared ----

    /**
     * Ends {@code p} without a result: failed or cancelled, never charged (a reservation is refunded
     * in the same transaction), with what it now owes (its webhook, its result file, its jobs to stop)
     * due at once. Empty when another writer moved it first.
     */
    private Optional<Prediction> finishOf(Prediction p, Phase to, String reason, boolean jobEnded, List<String> lines) {
        Instant now = clock.instant();
        Notifications owed = owedOnFinish(p, now);
        Jobs jobs = p.jobs();
        if (jobEnded && jobs.winner() != null) {
            jobs = jobs.withStopped(List.of(jobs.winner().key()));
        }
        Prediction projected = p.toBuilder().phase(to).notifications(owed).jobs(jobs).build();
        Optional<Prediction> moved = store.moves().finish(p, to, reason, jobEnded, owed, Lifecycle.effectsDue(projected, now), lines);
        if (moved.isPresent() && p.hasChildren() && p.windows() != null) {
            children.stopWindows(p, to);
        }
        if (moved.isPresent() && p.isWindow()) {
            children.wakeParent(p);
        }
        return moved;
    }

    static Notifications owedOnFinish(Prediction p, Instant now) {
        return new Notifications(p.webhook() != null ? WebhookState.PENDING : WebhookState.NONE, p.webhookAttempts(),
                p.webhook() != null ? now : null, p.ingestKey() != null);
    }

    /** Effects are never run on the request path: hand them to completion. */
    private Prediction handOff(Prediction p) {
        completion.trigger(p.id());
        return p;
    }

    private void handOffIfOwed(Prediction p) {
        if (p != null && p.phase().terminal() && Lifecycle.effectsDue(p, clock.instant()) != null) {
            completion.trigger(p.id());
        }
    }

    private Prediction reread(Prediction p) {
        return store.get(p.id()).orElse(p);
    }

    static List<String> append(List<String> lines, String line) {
        List<String> out = new ArrayList<>(lines);
        out.add(line);
        return out;
    }
}
