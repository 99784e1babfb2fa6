package dev.foley.pipeline;

import dev.foley.lifecycle.Lifecycle;
import dev.foley.lifecycle.Lifecycle.AfterSubmitFailure;
import dev.foley.lifecycle.Lifecycle.Work;
import dev.foley.net.PinnedHttp;
import dev.foley.prediction.Jobs;
import dev.foley.prediction.Notifications;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.Pricing;
import dev.foley.prediction.ProviderJob;
import dev.foley.prediction.WebhookState;
import dev.foley.provider.InferenceProvider;
import dev.foley.provider.JobStatus;
import dev.foley.provider.JobUpdate;
import dev.foley.provider.ProviderChain;
import dev.foley.provider.ProviderException;
import dev.foley.store.PredictionStore;
import dev.foley.store.PredictionStore.Step;
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
import java.util.Optional;
import java.util.Set;

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
        REQUEST
    }

    /** What a verified provider callback came to. */
    public enum CallbackOutcome { APPLIED, ADOPTED, ORPHAN, IGNORED }

    private static final System.Logger LOG = System.getLogger("foley.pipeline");
    /** A step's status check may take this long at most. */
    static final Duration CHECK_BUDGET = Duration.ofSeconds(30);
    /** A failed cancel or result file is tried again after this long ... */
    static final Duration EFFECT_RETRY = Duration.ofSeconds(30);
    /** ... until the prediction is this old; after that the effect is given up (and said so in its log). */
    static final Duration EFFECTS_GIVE_UP = Duration.ofHours(1);

    private final PredictionStore store;
    private final WebhookAttempts webhookAttempts;
    private final ProviderChain providers;
    private final OutputCopy outputs;
    private final WebhookSender webhooks;
    private final Clock clock;
    private final Lifecycle lifecycle;
    private final Optional<String> callbackBase;
    private final Pricing pricing;
    private final String owner;
    private volatile CompletionTrigger completion;
    private volatile ResultFiles resultFiles = p -> { };

    public Pipeline(PredictionStore store, WebhookAttempts webhookAttempts, ProviderChain providers, OutputCopy outputs,
            WebhookSender webhooks, Clock clock, Lifecycle lifecycle, Optional<String> callbackBase, Pricing pricing,
            String owner) {
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
        this.completion = id -> runToRest(id);
    }

    /** Where completion (and every effect) runs; by default in this process, at once. */
    public Pipeline completionBy(CompletionTrigger trigger) {
        this.completion = trigger;
        return this;
    }

    /** How S3-triggered predictions' result files are written (by the ingest side). */
    public Pipeline resultFilesBy(ResultFiles files) {
        this.resultFiles = files;
        return this;
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
        Prediction after = submitAct(claimed, pushBase, until);
        handOffIfOwed(after);
        return after;
    }

    /** Works on {@code p} until nothing more is due now (at most a few steps); returns where it got. */
    public Prediction advance(Prediction p, Mode mode, Deadline until) {
        Prediction current = p;
        for (int i = 0; i < 8 && !until.passed(); i++) {
            Work w = lifecycle.next(current, clock.instant(), mode != Mode.REQUEST);
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
        if (p.phase().terminal()) {
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
            if (job != null && job.provider().equals(provider.name()) && job.id().equals(update.jobId())) {
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

    // ---- one step ----

    private Prediction step(Prediction p, Work w, Mode mode, Deadline until) {
        return switch (w) {
            case Work.Wait wait -> p;
            case Work.TimeOut t -> finishOf(p, Phase.FAILED, t.reason(), p.phase() == Phase.UPSTREAM_DONE,
                    List.of("deadline passed in phase " + p.phase().code())).orElseGet(() -> reread(p));
            case Work.StopJobs s -> mode == Mode.REQUEST ? handOff(p) : stopJobs(p, until);
            case Work.Submit s -> submit(p, until);
            case Work.Check c -> check(p, until, mode == Mode.WORKER);
            case Work.Copy c -> mode != Mode.WORKER ? copy(p, until) : c.due() ? handOver(p) : p;
            case Work.Notify n -> mode == Mode.REQUEST ? handOff(p) : notifyClient(p, until);
        };
    }

    // ---- accepted → submitted ----

    private Prediction submit(Prediction p, Deadline until) {
        Instant leaseEnd = clock.instant().plus(Lifecycle.SUBMIT_LEASE);
        Optional<Prediction> claimed = store.claim(p, Step.SUBMIT, owner, leaseEnd, false);
        if (claimed.isEmpty()) {
            return p; // someone else has it: nothing more to do here
        }
        return submitAct(claimed.get(), Optional.empty(), until.orEarlier(leaseEnd.minus(Lifecycle.RECORD_MARGIN)));
    }

    /** The act of a claimed submit, and its record. */
    private Prediction submitAct(Prediction claimed, Optional<String> pushBase, Deadline until) {
        Optional<String> base = callbackBase.or(() -> pushBase);
        ProviderChain.Outcome outcome = providers.submit(claimed.request(),
                name -> base.map(b -> URI.create(b + "/internal/callbacks/" + name + "/" + claimed.id())), until);
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
        Prediction current = claimed;
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<Prediction> recorded = store.recordEffects(current, stopped, owed, due, lines);
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
            JobStatus s = provider.get().check(p.job(), until.orEarlier(now.plus(CHECK_BUDGET)));
            return apply(p, s, handOff);
        } catch (ProviderException e) {
            List<String> lines = append(e.attempts(), "check: " + e.getMessage());
            if (e.kind() == ProviderException.Kind.NOT_FOUND) {
                return lifecycle.afterNotFound(p, now)
                        .flatMap(at -> store.recordCheck(p, at, p.notFoundChecks() + 1, lines))
                        .orElseGet(() -> p.notFoundChecks() + 1 >= Lifecycle.NOT_FOUND_LIMIT
                                ? finishOf(p, Phase.FAILED, e.clientReason(), true, lines).orElseGet(() -> reread(p))
                                : reread(p));
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
        Instant leaseEnd = clock.instant().plus(Lifecycle.COPY_LEASE);
        Optional<Prediction> claimedOpt = store.claim(p, Step.COPY, owner, leaseEnd, false);
        if (claimedOpt.isEmpty()) {
            return p; // someone else has it
        }
        Prediction claimed = claimedOpt.get();
        List<String> keys;
        try {
            keys = outputs.copy(claimed, until.orEarlier(leaseEnd.minus(Lifecycle.RECORD_MARGIN)));
        } catch (OutputCopy.CopyException e) {
            List<String> lines = List.of("copy: " + e.getMessage());
            Optional<Instant> retry = e.retryable() ? lifecycle.copyRetry(claimed, clock.instant()) : Optional.empty();
            if (retry.isPresent()) {
                LOG.log(Level.WARNING, "copying the outputs of {0} failed, will retry: {1}", p.id(), e.getMessage());
                return store.recordCopyFailure(claimed, retry.get(), lines).orElseGet(() -> lost(claimed, lines));
            }
            return finishOf(claimed, Phase.FAILED, e.getMessage(), true, lines).orElseGet(() -> lost(claimed, lines));
        }
        Instant now = clock.instant();
        Notifications owed = owedOnFinish(claimed, now);
        Prediction projected = claimed.toBuilder().phase(Phase.COMPLETED).notifications(owed).build();
        return store.complete(claimed, keys, pricing.costOf(claimed), owed, Lifecycle.effectsDue(projected, now))
                .orElseGet(() -> reread(claimed));
    }

    // ---- finished: effects ----

    /** Stops the jobs that should not run on (orphans; all of a failed or cancelled prediction's), under a claim. */
    private Prediction stopJobs(Prediction p, Deadline until) {
        Instant leaseEnd = clock.instant().plus(Lifecycle.EFFECTS_LEASE);
        Optional<Prediction> claimedOpt = store.claim(p, Step.EFFECTS, owner, leaseEnd, false);
        if (claimedOpt.isEmpty()) {
            return p; // someone else has it
        }
        Prediction claimed = claimedOpt.get();
        Deadline act = until.orEarlier(leaseEnd.minus(Lifecycle.RECORD_MARGIN));
        Set<String> stopped = new LinkedHashSet<>();
        List<String> lines = new ArrayList<>();
        boolean giveUp = clock.instant().isAfter(claimed.createdAt().plus(EFFECTS_GIVE_UP));
        for (ProviderJob job : claimed.jobs().toStop(claimed.phase())) {
            Optional<InferenceProvider> provider = providers.byName(job.provider());
            if (provider.isEmpty()) {
                stopped.add(job.key());
                lines.add("job " + job.key() + " cannot be stopped: its provider is no longer configured");
                continue;
            }
            try {
                InferenceProvider.CancelOutcome o = provider.get().cancel(job, act);
                stopped.add(job.key());
                lines.add("stopped job " + job.key() + ": " + o.words());
            } catch (ProviderException e) {
                lines.add("could not stop job " + job.key() + ": " + e.getMessage() + (giveUp ? " (given up)" : ""));
                if (giveUp) {
                    stopped.add(job.key());
                }
            }
        }
        Instant now = clock.instant();
        Set<String> allStopped = new HashSet<>(claimed.jobs().stopped());
        allStopped.addAll(stopped);
        Jobs after = new Jobs(claimed.jobs().winner(), claimed.jobs().started(), allStopped, claimed.jobs().unconfirmed());
        Instant due;
        if (!after.toStop(claimed.phase()).isEmpty()) {
            due = now.plus(EFFECT_RETRY);
        } else if (claimed.phase().terminal()) {
            due = Lifecycle.effectsDue(claimed.toBuilder().jobs(after).build(), now);
        } else {
            // Back to its own work: the step that was due before (or now).
            due = p.dueAt() == null || p.dueAt().isBefore(now) ? now : p.dueAt();
        }
        return recordEffects(claimed, stopped, claimed.notifications(), due, lines);
    }

    /** A webhook attempt (claimed, so one delivery per scheduled attempt) and/or the result file. */
    private Prediction notifyClient(Prediction p, Deadline until) {
        Instant now = clock.instant();
        boolean webhookNow = p.notifications().webhookDueBy(now);
        Optional<Prediction> claimedOpt = store.claim(p, Step.EFFECTS, owner, now.plus(Lifecycle.EFFECTS_LEASE), webhookNow);
        if (claimedOpt.isEmpty()) {
            return p; // someone else has it
        }
        Prediction claimed = claimedOpt.get();
        Notifications n = claimed.notifications();
        List<String> lines = new ArrayList<>();
        boolean giveUp = now.isAfter(claimed.createdAt().plus(EFFECTS_GIVE_UP));
        boolean filePending = n.resultFilePending();
        Instant fileRetry = null;
        if (filePending) {
            try {
                resultFiles.write(claimed);
                filePending = false;
            } catch (Exception e) {
                LOG.log(Level.ERROR, "could not write the result file of S3-triggered prediction " + p.id(), e);
                lines.add("result file: " + e.getMessage() + (giveUp ? " (given up)" : ""));
                filePending = !giveUp;
                fileRetry = filePending ? now.plus(EFFECT_RETRY) : null;
            }
        }
        WebhookState state = n.webhookState();
        Instant webhookDue = n.webhookDueAt();
        if (webhookNow) {
            int attempt = claimed.webhookAttempts(); // counted by the claim
            WebhookSender.Attempt a = webhooks.deliver(claimed);
            PinnedHttp.Result r = a.result();
            webhookAttempts.record(claimed.id(), new WebhookAttempts.Attempt(attempt, clock.instant(),
                    String.valueOf(URI.create(claimed.webhook()).getHost()), r.status(), r.latencyMs(), r.error()));
            Optional<Duration> retry = a.retryable() ? Lifecycle.webhookRetryAfter(attempt) : Optional.empty();
            if (r.ok()) {
                state = WebhookState.DELIVERED;
                webhookDue = null;
            } else if (retry.isPresent()) {
                webhookDue = clock.instant().plus(retry.get());
            } else {
                state = WebhookState.GAVE_UP;
                webhookDue = null;
                LOG.log(Level.WARNING, "gave up delivering the webhook of {0} after {1} attempts", p.id(), attempt);
            }
            lines.add("webhook attempt " + attempt + ": " + (r.ok() ? "delivered" : r.status() > 0 ? "HTTP " + r.status() : r.error()));
        }
        Notifications owed = new Notifications(state, claimed.webhookAttempts(), webhookDue, filePending);
        Prediction projected = claimed.toBuilder().notifications(owed).build();
        Instant due = Lifecycle.effectsDue(projected, clock.instant());
        if (fileRetry != null) {
            due = state == WebhookState.PENDING && webhookDue != null && webhookDue.isBefore(fileRetry) ? webhookDue : fileRetry;
        }
        return recordEffects(claimed, Set.of(), owed, due, lines);
    }

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
            Set<String> stopped = new HashSet<>(jobs.stopped());
            stopped.add(jobs.winner().key());
            jobs = new Jobs(jobs.winner(), jobs.started(), stopped, jobs.unconfirmed());
        }
        Prediction projected = p.toBuilder().phase(to).notifications(owed).jobs(jobs).build();
        return store.finish(p, to, reason, jobEnded, owed, Lifecycle.effectsDue(projected, now), lines);
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

    private Prediction reread(Prediction p) {
        return store.get(p.id()).orElse(p);
    }

    private static List<String> append(List<String> lines, String line) {
        List<String> out = new ArrayList<>(lines);
        out.add(line);
        return out;
    }
}
