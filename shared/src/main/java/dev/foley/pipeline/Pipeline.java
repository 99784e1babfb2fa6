package dev.foley.pipeline;

import dev.foley.lifecycle.Lifecycle.AfterSubmitFailure;
import dev.foley.lifecycle.Lifecycle.Work;
import dev.foley.lifecycle.Lifecycle;
import dev.foley.lifecycle.WindowRules;
import dev.foley.net.PinnedHttp;
import dev.foley.prediction.Jobs;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Notifications;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.Pricing;
import dev.foley.prediction.ProviderJob;
import dev.foley.prediction.WebhookState;
import dev.foley.prediction.Windows;
import dev.foley.provider.InferenceProvider;
import dev.foley.provider.JobStatus;
import dev.foley.provider.JobUpdate;
import dev.foley.provider.ProviderChain;
import dev.foley.provider.ProviderException;
import dev.foley.store.PredictionStore.Step;
import dev.foley.store.PredictionStore;
import dev.foley.store.WebhookAttempts;
import dev.foley.time.Deadline;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
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

    private static final dev.foley.obs.Log.Logger LOG = dev.foley.obs.Log.logger("foley.pipeline");
    /** Providers whose job a poll found done before its push came (warned once each). */
    private final Set<String> pushesMissed = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** A step's status check may take this long at most. */
    static final Duration CHECK_BUDGET = Duration.ofSeconds(30);

    private final PredictionStore store;
    private final WebhookAttempts webhookAttempts;
    private final ProviderChain providers;
    private final OutputCopy outputs;
    private final WebhookSender webhooks;
    private final Clock clock;
    private final dev.foley.time.Sleeper sleeper;
    private final Lifecycle lifecycle;
    private final Optional<String> callbackBase;
    private final Pricing pricing;
    private final String owner;
    private final CompletionTrigger completion;
    private final ResultFiles resultFiles;
    private final Optional<MediaWork> media;
    private final CompletionTrigger mediaTrigger;
    private final UnaryOperator<String> workLinks;
    private final ToIntFunction<String> windowConcurrency;
    private final ToIntFunction<String> maxInFlight;
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
    /**
     * Providers found full here lately, until when: meanwhile waiters are not sent to ask again (a
     * refusal we already know of costs no write), and a newcomer queues at once.
     */
    private final java.util.Map<String, Instant> fullUntil = new java.util.concurrent.ConcurrentHashMap<>();
    static final Duration FULL_MEMO = Duration.ofMillis(500);
    /** A waiter asks for a slot again after this long (the poller's ticks carry it). */
    static final Duration WAIT_RETRY = Duration.ofSeconds(1);

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
        this.sleeper = sleeper;
        this.store = store;
        this.webhookAttempts = webhookAttempts;
        this.providers = providers;
        this.outputs = outputs;
        this.webhooks = webhooks;
        this.clock = clock;
        this.lifecycle = lifecycle;
        this.callbackBase = callbackBase;
        this.pricing = pricing;
        this.owner = owner;
        this.media = handoffs.work();
        this.mediaDeployed = handoffs.mediaDeployed();
        this.workLinks = handoffs.workLinks();
        this.windowConcurrency = handoffs.windowConcurrency();
        this.maxInFlight = handoffs.maxInFlight();
        this.resultFiles = handoffs.resultFiles();
        this.effects = new Effects(store, providers, webhooks, webhookAttempts, resultFiles, clock, owner, this::recordEffects);
        // The triggers only keep the pipeline to call it later: nothing runs before it is built.
        this.completion = handoffs.completion().apply(this);
        this.mediaTrigger = handoffs.media().apply(this);
        this.children = new ChildStage(store, clock, owner, lifecycle, providers, windowConcurrency, completion, mediaTrigger,
                this::finishOf, this::lost, this::handOffIfOwed);
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
        Prediction after = submitAct(claimed, pushBase, until);
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
            Work w = lifecycle.next(current, clock.instant(), mode != Mode.REQUEST, mediaHere(mode));
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
     * A verified provider callback for prediction {@code p}: applied when it is about the tracked
     * job; adopted when the prediction still waits for a submit's answer that may have made this
     * job; otherwise the job is an orphan (recorded, and stopped if it still runs).
     */
    public CallbackOutcome onCallback(Prediction p, InferenceProvider provider, JobUpdate update) {
        if (!provider.mayBelongTo(update, p.request())) {
            return CallbackOutcome.IGNORED;
        }
        Prediction current = p;
        for (int attempt = 0; attempt < 4; attempt++) {
            ProviderJob job = current.job();
            boolean tracked = job != null && job.provider().equals(provider.name()) && job.id().equals(update.jobId());
            if (tracked && update.status() instanceof JobStatus.Done d && lostButAlive(current)) {
                Optional<Prediction> revived = store.revive(current, d.outputs(), d.nsfw(), d.inferenceMs(),
                        clock.instant().plus(Lifecycle.COMPLETION_GRACE), List.of(provider.name() + ": callback says job "
                                + update.jobId() + " is done, after the prediction failed as unknown to the provider: adopted again"));
                if (revived.isPresent()) {
                    LOG.log(Level.WARNING, "{0}: job {1} was given up as unknown to {2}, then reported done: adopted again",
                            current.id(), update.jobId(), provider.name());
                    completion.trigger(current.id());
                    return CallbackOutcome.ADOPTED;
                }
                Prediction reread = store.get(p.id()).orElse(current);
                if (reread.version() == current.version()) { // nothing else moved it: the revive itself was refused
                    LOG.log(Level.WARNING, "{0}: job {1} is done but could not be adopted again (a prepaid balance that no longer"
                            + " holds its price)", current.id(), update.jobId());
                    return CallbackOutcome.IGNORED;
                }
                current = reread; // moved meanwhile (its job's stop recorded, say): try again on what it is now
                continue;
            }
            if (tracked) {
                Prediction after = apply(current, update.status(), true);
                handOffIfOwed(after);
                return CallbackOutcome.APPLIED;
            }
            ProviderJob named = ProviderJob.of(provider.name(), update.jobId());
            if (current.phase() == Phase.ACCEPTED && current.jobs().unconfirmed() > 0) {
                Optional<Prediction> adopted = store.adopt(current, named,
                        List.of(provider.name() + ": callback names job " + update.jobId() + ", adopted (its submit's answer was lost or late)"));
                if (adopted.isPresent()) {
                    Prediction after = apply(adopted.get(), update.status(), true);
                    handOffIfOwed(after);
                    return CallbackOutcome.ADOPTED;
                }
            } else if (current.jobs().knows(named)) {
                return CallbackOutcome.ORPHAN; // known already (a duplicate callback)
            } else {
                boolean running = update.status() instanceof JobStatus.Running;
                store.recordOrphan(current.id(), named, !running, List.of(provider.name() + ": callback for job "
                        + update.jobId() + ", which this prediction does not follow: an orphan" + (running ? ", to stop" : ", ended")));
                if (running) {
                    completion.trigger(current.id());
                }
                return CallbackOutcome.ORPHAN;
            }
            current = store.get(p.id()).orElse(current);
        }
        return CallbackOutcome.IGNORED;
    }

    /** Failed only because its provider no longer knew the job, and still within its life: a late "done" may adopt it. */
    private boolean lostButAlive(Prediction p) {
        return p.phase() == Phase.FAILED && p.error().startsWith(Lifecycle.JOB_LOST) && !p.isWindow() && !p.hasChildren()
                && clock.instant().isBefore(lifecycle.deadlineOf(p));
    }

    // ---- one step ----

    private Prediction step(Prediction p, Work w, Mode mode, Deadline until) {
        return switch (w) {
            case Work.Wait wait -> p;
            case Work.TimeOut t -> finishOf(p, Phase.FAILED, t.reason(), p.phase() == Phase.UPSTREAM_DONE,
                    List.of("deadline passed in phase " + p.phase().code())).orElseGet(() -> reread(p));
            case Work.StopJobs s -> mode == Mode.REQUEST ? handOff(p) : effects.stopJobs(p, until);
            case Work.Submit s -> p.kind() == Kind.LONG ? cut(p, mode, until) : p.hasTakes() ? children.planTakes(p) : submit(p, until);
            case Work.Check c -> p.hasChildren() ? children.gather(p) : check(p, until, mode == Mode.WORKER);
            case Work.Copy c -> viaMedia(p) ? finishMedia(p, mode, c.due(), until)
                    : mode != Mode.WORKER ? copy(p, until) : c.due() ? handOver(p) : p;
            case Work.Notify n -> mode == Mode.REQUEST ? handOff(p) : effects.notifyClient(p, until);
        };
    }

    // ---- accepted → submitted ----

    private Prediction submit(Prediction p, Deadline until) {
        if (p.queuedAt() != null && (knownFull(p) || behindOlderWaiter(p))) {
            return p; // a waiter whose provider is known to be full, or whose elder waits: it keeps its turn, nothing is written
        }
        Instant leaseEnd = clock.instant().plus(Lifecycle.SUBMIT_LEASE);
        Optional<Prediction> claimed = store.claim(p, Step.SUBMIT, owner, leaseEnd, false);
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
    private Prediction submitAct(Prediction claimedIn, Optional<String> pushBase, Deadline until) {
        String primary = providers.primary().name();
        int cap = maxInFlight.applyAsInt(primary);
        if (cap <= 0 || claimedIn.slot() != null) {
            return submitHeld(claimedIn, pushBase, until);
        }
        PredictionStore.SlotOutcome slot = knownFull(claimedIn) ? new PredictionStore.SlotOutcome.Full()
                : store.acquireSlot(claimedIn, primary, cap);
        return switch (slot) {
            case PredictionStore.SlotOutcome.Acquired a -> {
                fullUntil.remove(primary);
                heads.computeIfPresent(primary, (k, h) -> claimedIn.createdAt().isBefore(h.createdAt()) ? h : null);
                yield submitHeld(a.prediction(), pushBase, until);
            }
            case PredictionStore.SlotOutcome.Full f -> {
                fullUntil.put(primary, clock.instant().plus(FULL_MEMO));
                Instant headUntil = clock.instant().plus(HEAD_MEMO);
                heads.merge(primary, new Head(claimedIn.createdAt(), headUntil), (old, mine) ->
                        clock.instant().isBefore(old.until()) && old.createdAt().isBefore(mine.createdAt())
                                ? (old.createdAt().equals(mine.createdAt()) ? mine : old) : mine);
                yield store.recordQueued(claimedIn, primary, cap, clock.instant().plus(WAIT_RETRY)).orElseGet(() -> reread(claimedIn));
            }
            case PredictionStore.SlotOutcome.Lost l -> reread(claimedIn);
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
                yield store.recordSubmitted(claimed, s.job(), first, lines)
                        // Lost the claim meanwhile (a cancel, an adopted callback, a take-over after the lease ran out).
                        .orElseGet(() -> orphaned(claimed.id(), s.job(), lines));
            }
            case ProviderChain.Outcome.Rejected r -> finishOf(claimed, Phase.FAILED, r.reason(), false, lines)
                    .orElseGet(() -> lost(claimed, lines));
            case ProviderChain.Outcome.NotStarted n -> {
                AfterSubmitFailure next = lifecycle.afterSubmitFailure(claimed, n.maybeCreated(), n.retryAfter(),
                        providers.primary().expectedDuration(claimed.request()), now);
                yield switch (next) {
                    case AfterSubmitFailure.RetryAt r -> store.recordSubmitFailure(claimed, n.maybeCreated(), r.at(), lines)
                            .orElseGet(() -> lost(claimed, lines));
                    case AfterSubmitFailure.WaitForCallback w -> {
                        LOG.log(Level.WARNING, "{0}: no submit left that could not double the bill; waiting for the provider''s"
                                + " callback until the deadline (if none comes, it fails then, never charged)", claimed.id());
                        List<String> waiting = append(lines, "no submit left that could not double the bill: waiting for the provider's callback");
                        yield store.recordSubmitFailure(claimed, n.maybeCreated(), w.until(), waiting)
                                .orElseGet(() -> lost(claimed, waiting));
                    }
                    case AfterSubmitFailure.Fail f -> finishOf(claimed, Phase.FAILED, f.reason(), false, lines)
                            .orElseGet(() -> lost(claimed, lines));
                };
            }
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
            Optional<Prediction> recorded = store.recordEffects(current, stopped, stops, owed, due, lines);
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
        store.appendAttempts(p.id(), append(lines, "(recorded late: the prediction had moved on)"));
        return reread(p);
    }

    /** A job our submit made after the prediction moved on: unless it is already the tracked one, an orphan to stop. */
    private Prediction orphaned(String id, ProviderJob job, List<String> lines) {
        Prediction now = store.get(id).orElse(null);
        if (now == null || now.jobs().knows(job)) {
            // Adopted through its callback meanwhile: nothing is orphaned; the submit's lines still go on record.
            store.appendAttempts(id, lines);
            return now == null ? null : store.get(id).orElse(now);
        }
        Prediction after = store.recordOrphan(id, job, false, append(lines, "job " + job.key()
                + " is an orphan: the prediction moved on before its submit was answered")).orElse(now);
        completion.trigger(id);
        return after;
    }

    // ---- submitted: checks ----

    private Prediction check(Prediction p, Deadline until, boolean handOff) {
        Optional<InferenceProvider> provider = providers.byName(p.job().provider());
        if (provider.isEmpty()) {
            return finishOf(p, Phase.FAILED, "the inference provider that ran this job is no longer configured", false,
                    List.of("provider " + p.job().provider() + " is no longer configured")).orElseGet(() -> reread(p));
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
            List<String> lines = append(e.attempts(), "check: " + e.getMessage());
            now = clock.instant(); // a retry waits from the failure's end, not from before the call's own retries
            if (e.kind() == ProviderException.Kind.NOT_FOUND) {
                Optional<Instant> again = lifecycle.afterNotFound(p, provider.get().creationDelay(), now);
                if (again.isPresent()) {
                    return store.recordCheck(p, again.get(), p.notFoundChecks() + 1, lines).orElseGet(() -> reread(p));
                }
                // Not surely ended: the job Foley last saw may still run (and be paid for), so it gets a
                // cancel; a callback that still names it, in the prediction's life, is adopted.
                return finishOf(p, Phase.FAILED, Lifecycle.JOB_LOST + " (not found " + Lifecycle.NOT_FOUND_LIMIT
                        + " times in a row)", false, lines).orElseGet(() -> reread(p));
            }
            if (e.kind() == ProviderException.Kind.CONFIGURATION) {
                LOG.log(Level.ERROR, "provider credentials refused checking {0}: {1}", p.id(), e.getMessage());
            }
            return store.recordCheck(p, lifecycle.checkRetry(p, e.retryAfter(), now), p.notFoundChecks(), lines)
                    .orElseGet(() -> reread(p));
        }
    }

    /** What a status check or a verified callback says, applied to {@code p}; {@code handOff}: start completion elsewhere. */
    private Prediction apply(Prediction p, JobStatus status, boolean handOff) {
        if (p.phase() != Phase.SUBMITTED) {
            return p; // a late or duplicate answer: the prediction has moved on
        }
        Instant now = clock.instant();
        return switch (status) {
            case JobStatus.Running r -> store.recordCheck(p, lifecycle.nextCheck(p, now), 0, List.of())
                    .orElseGet(() -> reread(p));
            case JobStatus.Failed f -> finishOf(p, Phase.FAILED, f.reason(), true,
                    List.of(p.job().provider() + ": job " + p.job().id() + " failed: " + f.detail()))
                    .orElseGet(() -> reread(p));
            case JobStatus.Done d -> {
                Optional<Prediction> moved = store.markUpstreamDone(p, d.outputs(), d.nsfw(), d.inferenceMs(),
                        now.plus(Lifecycle.COMPLETION_GRACE));
                if (moved.isPresent() && handOff) {
                    completion.trigger(p.id());
                }
                if (moved.isPresent() && p.isWindow()) {
                    children.wakeParent(p); // its provider slot is free: the next window can start while this one is copied
                }
                yield moved.orElseGet(() -> reread(p));
            }
        };
    }

    // ---- upstream_done → completed ----

    /** The poller does not copy: it hands the prediction to completion again (its trigger may have been lost). */
    private Prediction handOver(Prediction p) {
        Optional<Prediction> touched = store.reschedule(p, clock.instant().plus(Lifecycle.COMPLETION_GRACE));
        touched.ifPresent(t -> completion.trigger(t.id()));
        return touched.orElseGet(() -> reread(p));
    }

    /**
     * Copies the outputs into our bucket under a claim, then completes and charges in one
     * transaction. Copying again (a retried completion) copies nothing more and charges nothing more.
     */
    private Prediction copy(Prediction p, Deadline until) {
        return claimedStep(p, Step.COPY, Lifecycle.COPY_LEASE, "copy", true, until, outputs::copy, lifecycle::copyRetry,
                store::recordCopyFailure, this::completeWith);
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
        Optional<Prediction> claimedOpt = store.claim(p, step, owner, clock.instant().plus(LeaseKeeper.HELD), false);
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
                return recordRetry.record(claimed, retry.get(), lines).orElseGet(() -> lost(claimed, lines));
            }
            return finishOf(claimed, Phase.FAILED, e.getMessage(), jobEnded, lines).orElseGet(() -> lost(claimed, lines));
        }
        return then.apply(claimed, result);
    }

    // ---- media: long videos, the original sound, formats ----

    /** Whether this step may do media work here; otherwise it is handed to the media function. */
    private boolean mediaHere(Mode mode) {
        return mode == Mode.MEDIA && media.isPresent();
    }

    /** A media step due here but not doable here: the media function is asked (again), the prediction kept due meanwhile. */
    private Prediction handToMedia(Prediction p, boolean due) {
        if (!due) {
            mediaTrigger.trigger(p.id()); // just handed on (completion's own trigger): its due time is the fallback
            return p;
        }
        Optional<Prediction> touched = store.reschedule(p, clock.instant().plus(Lifecycle.MEDIA_HANDOVER));
        touched.ifPresent(t -> mediaTrigger.trigger(t.id()));
        return touched.orElseGet(() -> reread(p));
    }



    /** Accepted long video: probe it and cut its windows (under a claim), then start the first windows. */
    private Prediction cut(Prediction p, Mode mode, Deadline until) {
        if (!mediaHere(mode)) {
            return handToMedia(p, true);
        }
        return claimedStep(p, Step.MEDIA, Lifecycle.MEDIA_LEASE, "cut", false, until, (c, u) -> media.get().cut(c, u),
                lifecycle::mediaRetry, store::recordCutFailure, children::cutDone);
    }





    /** Upstream done and the result needs media work: join, mix, convert (in the media function), then complete and charge. */
    private Prediction finishMedia(Prediction p, Mode mode, boolean due, Deadline until) {
        if (!mediaHere(mode)) {
            return mode == Mode.WORKER && !due ? p : handToMedia(p, due);
        }
        return claimedStep(p, Step.COPY, Lifecycle.MEDIA_LEASE, "media", true, until,
                (c, u) -> media.get().finish(c, c.upstreamOutputs(), u), lifecycle::mediaRetry, store::recordCopyFailure, this::made);
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
        Notifications owed = owedOnFinish(claimed, now);
        Prediction projected = claimed.toBuilder().phase(Phase.COMPLETED).notifications(owed).build();
        long charge = claimed.isWindow() ? 0 : pricing.costOf(claimed, measured);
        Optional<Prediction> done = store.complete(claimed, keys, quality, claimed.isWindow() ? 0 : Pricing.secondsOf(claimed, measured), charge, owed,
                Lifecycle.effectsDue(projected, now), List.of());
        if (done.isPresent() && claimed.isWindow()) {
            children.wakeParent(done.get());
        }
        return done.orElseGet(() -> reread(claimed));
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
        Optional<Prediction> moved = store.finish(p, to, reason, jobEnded, owed, Lifecycle.effectsDue(projected, now), lines);
        if (moved.isPresent() && p.hasChildren() && p.windows() != null) {
            children.stopWindows(p, to);
        }
        if (moved.isPresent() && p.isWindow()) {
            children.wakeParent(p);
        }
        return moved;
    }

    private static Notifications owedOnFinish(Prediction p, Instant now) {
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

    /** A window's request with its clip's reference made a fresh link the provider can fetch. */
    private PredictionRequest linked(PredictionRequest r) {
        if (r.video() == null || !r.video().startsWith(MediaWork.WORK_REF)) {
            return r;
        }
        return r.withVideo(workLinks.apply(r.video().substring(MediaWork.WORK_REF.length())));
    }

    private Prediction reread(Prediction p) {
        return store.get(p.id()).orElse(p);
    }

    private static List<String> append(List<String> lines, String line) {
        List<String> out = new ArrayList<>(lines);
        out.add(line);
        return out;
    }
}
