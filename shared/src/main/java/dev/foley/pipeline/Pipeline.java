package dev.foley.pipeline;

import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.provider.InferenceProvider;
import dev.foley.provider.JobStatus;
import dev.foley.provider.ProviderChain;
import dev.foley.provider.ProviderException;
import dev.foley.store.ApiKeyStore;
import dev.foley.store.PredictionStore;
import dev.foley.store.PredictionStore.Change;
import dev.foley.store.UsageStore;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Every step of a prediction's life (DESIGN.md, the phase table), each a conditional write, so
 * the API, any number of pollers, a late provider callback and a retried Lambda can all run them
 * and exactly one wins each transition:
 * <ul>
 * <li>{@code accepted}: hand to a provider ({@code submitted}); retryable failures back off and
 *     stay due; a rejected input fails;</li>
 * <li>{@code submitted}: ask the provider (or hear its callback); running → check again with
 *     backoff; done → {@code upstream_done} and completion; failed → {@code failed};</li>
 * <li>{@code upstream_done}: completion copies outputs, charges once, {@code completed};</li>
 * <li>terminal with a webhook: deliver it, retrying on a growing schedule;</li>
 * <li>anything not terminal past its deadline fails, and is never charged.</li>
 * </ul>
 */
public final class Pipeline {

    /** Something that runs completion for a prediction soon (an async Lambda invoke, or a local thread). */
    @FunctionalInterface
    public interface CompletionTrigger {
        void trigger(String predictionId);
    }

    private static final System.Logger LOG = System.getLogger("foley.pipeline");
    static final Duration MAX_SUBMIT_BACKOFF = Duration.ofSeconds(60);
    static final Duration MAX_CHECK_BACKOFF = Duration.ofSeconds(15);
    /** An upstream_done not completed by then is handed to completion again. */
    static final Duration COMPLETION_GRACE = Duration.ofMinutes(2);
    static final int MAX_LOGGED_ATTEMPTS = 20;

    private final PredictionStore store;
    private final ProviderChain providers;
    private final OutputStore outputs;
    private final WebhookSender webhooks;
    private final UsageStore usage;
    private final Clock clock;
    private final Optional<String> callbackBase;
    private final long microUsdPerSecond;
    private final Duration deadline;
    private volatile CompletionTrigger completion;
    private volatile java.util.function.Consumer<Prediction> onFinished = p -> { };

    public Pipeline(PredictionStore store, ProviderChain providers, OutputStore outputs, WebhookSender webhooks,
            UsageStore usage, Clock clock, Optional<String> callbackBase, long microUsdPerSecond, Duration deadline) {
        this.store = store;
        this.providers = providers;
        this.outputs = outputs;
        this.webhooks = webhooks;
        this.usage = usage;
        this.clock = clock;
        this.callbackBase = callbackBase;
        this.microUsdPerSecond = microUsdPerSecond;
        this.deadline = deadline;
        this.completion = this::complete;
    }

    /** Where completion runs; by default in this process, at once. */
    public Pipeline completionBy(CompletionTrigger trigger) {
        this.completion = trigger;
        return this;
    }

    /** Told of every prediction that reached a terminal phase (S3-triggered results are written there). */
    public Pipeline onFinished(java.util.function.Consumer<Prediction> listener) {
        this.onFinished = listener;
        return this;
    }

    public ProviderChain providers() {
        return providers;
    }

    public PredictionStore store() {
        return store;
    }

    public OutputStore outputs() {
        return outputs;
    }

    public long costOf(Prediction p) {
        return p.request().duration() * microUsdPerSecond;
    }

    /** Micro-dollars as a price: {@code $0.004}. */
    public static String usd(long micro) {
        return "$" + java.math.BigDecimal.valueOf(micro, 6).stripTrailingZeros().setScale(
                Math.max(3, java.math.BigDecimal.valueOf(micro, 6).stripTrailingZeros().scale()), java.math.RoundingMode.UNNECESSARY)
                .toPlainString();
    }

    /** Does whatever is due for {@code p} now and returns its new state. */
    public Prediction step(Prediction p) {
        if (!p.phase().terminal() && clock.instant().isAfter(p.createdAt().plus(deadline))) {
            return timeOut(p);
        }
        return switch (p.phase()) {
            case ACCEPTED -> submit(p);
            case SUBMITTED -> check(p);
            case UPSTREAM_DONE -> rehandToCompletion(p);
            case COMPLETED, FAILED, CANCELLED -> "pending".equals(p.webhookState()) ? deliverWebhook(p) : p;
        };
    }

    // ---- accepted → submitted ----

    /** Submits {@code p} (phase accepted) to the first provider that takes it. */
    public Prediction submit(Prediction p) {
        return submit(p, callbackBase);
    }

    /** The same, with the base URL providers should push to (the API knows its own from the request). */
    public Prediction submit(Prediction p, Optional<String> pushBase) {
        if (p.phase() != Phase.ACCEPTED) {
            return p;
        }
        Optional<String> base = callbackBase.or(() -> pushBase);
        try {
            ProviderChain.Submitted s = providers.submit(p.request(),
                    name -> base.map(b -> URI.create(b + "/internal/callbacks/" + name + "/" + p.id())));
            Instant firstCheck = clock.instant().plus(s.provider().expectedDuration(p.request()));
            Optional<Prediction> moved = store.transition(p, Phase.SUBMITTED, new Change()
                    .set("provider", s.provider().name())
                    .set("provider_job", s.job().toJson())
                    .set("attempts", log(p, s.attempts()))
                    .set("submitted_at", clock.instant().toEpochMilli())
                    .due(firstCheck));
            if (moved.isPresent()) {
                return moved.get();
            }
            // Someone else moved it meanwhile (a cancel, another submitter): this job is an orphan.
            cancelQuietly(s.provider(), s.job());
            return reread(p);
        } catch (ProviderException e) {
            if (e.kind() == ProviderException.Kind.REJECTED) {
                return finish(p, Phase.FAILED, new Change().error(e.getMessage()).set("attempts", log(p, e.attempts())));
            }
            if (e.kind() == ProviderException.Kind.CONFIGURATION) {
                LOG.log(Level.ERROR, "provider credentials refused for prediction {0}: {1} (fix the provider key)",
                        p.id(), e.getMessage());
            }
            // Back off in proportion to the prediction's age: 1 s at first, growing to a minute.
            Duration backoff = clamp(Duration.between(p.createdAt(), clock.instant()).dividedBy(2),
                    Duration.ofSeconds(1), MAX_SUBMIT_BACKOFF);
            if (e.retryAfter().isPresent() && e.retryAfter().get().compareTo(backoff) > 0) {
                backoff = clamp(e.retryAfter().get(), backoff, MAX_SUBMIT_BACKOFF);
            }
            return store.transition(p, Phase.ACCEPTED, new Change().set("attempts", log(p, e.attempts()))
                    .due(clock.instant().plus(backoff))).orElseGet(() -> reread(p));
        }
    }

    // ---- submitted: checks and callbacks ----

    private Prediction check(Prediction p) {
        Optional<InferenceProvider> provider = providers.byName(p.job().provider());
        if (provider.isEmpty()) {
            return finish(p, Phase.FAILED, new Change().error("provider " + p.job().provider() + " is no longer configured"));
        }
        try {
            return apply(p, provider.get().check(p.job()));
        } catch (ProviderException e) {
            if (e.kind() == ProviderException.Kind.CONFIGURATION) {
                LOG.log(Level.ERROR, "provider credentials refused checking {0}: {1}", p.id(), e.getMessage());
            }
            Duration wait = e.retryAfter().orElse(checkBackoff(p.checks()));
            return store.transition(p, Phase.SUBMITTED, new Change().set("checks", p.checks() + 1L)
                    .due(clock.instant().plus(clamp(wait, Duration.ofSeconds(1), MAX_SUBMIT_BACKOFF))))
                    .orElseGet(() -> reread(p));
        }
    }

    /** What a status check or a verified callback says, applied to {@code p}. */
    public Prediction apply(Prediction p, JobStatus status) {
        if (p.phase() != Phase.SUBMITTED) {
            return p; // a late or duplicate answer: the prediction has moved on
        }
        return switch (status) {
            case JobStatus.Running r -> store.transition(p, Phase.SUBMITTED, new Change().set("checks", p.checks() + 1L)
                    .due(clock.instant().plus(checkBackoff(p.checks())))).orElseGet(() -> reread(p));
            case JobStatus.Failed f -> finish(p, Phase.FAILED, new Change().error(f.reason()));
            case JobStatus.Done d -> {
                Optional<Prediction> moved = store.transition(p, Phase.UPSTREAM_DONE, new Change()
                        .set("upstream_outputs", d.outputs())
                        .setFlags("nsfw", d.nsfw())
                        .set("inference_ms", d.inferenceMs())
                        .due(clock.instant().plus(COMPLETION_GRACE)));
                if (moved.isEmpty()) {
                    yield reread(p);
                }
                completion.trigger(p.id());
                yield reread(moved.get());
            }
        };
    }

    /** First check at the expected finish, then 1, 2, 4, 8, 15, 15 … s. */
    static Duration checkBackoff(int checks) {
        return clamp(Duration.ofSeconds(1L << Math.min(checks, 4)), Duration.ofSeconds(1), MAX_CHECK_BACKOFF);
    }

    // ---- upstream_done → completed ----

    private Prediction rehandToCompletion(Prediction p) {
        Optional<Prediction> touched = store.transition(p, Phase.UPSTREAM_DONE,
                new Change().due(clock.instant().plus(COMPLETION_GRACE)));
        if (touched.isPresent()) {
            completion.trigger(p.id());
        }
        return touched.orElseGet(() -> reread(p));
    }

    /**
     * Completion: copies the outputs into our bucket, then completes and charges in one
     * transaction. Running it again for the same prediction copies nothing more, charges nothing
     * more, and leaves one {@code completed}.
     */
    public Prediction complete(String predictionId) {
        Optional<Prediction> found = store.get(predictionId);
        if (found.isEmpty() || found.get().phase() != Phase.UPSTREAM_DONE) {
            return found.orElse(null);
        }
        Prediction p = found.get();
        List<String> keys;
        try {
            keys = outputs.copy(p);
        } catch (OutputStore.CopyException e) {
            if (!e.retryable()) {
                return finish(p, Phase.FAILED, new Change().error(e.getMessage()));
            }
            LOG.log(Level.WARNING, "copying the outputs of {0} failed, will retry: {1}", p.id(), e.getMessage());
            return p; // still upstream_done and due: the poller hands it back within COMPLETION_GRACE
        }
        Instant now = clock.instant();
        long cost = costOf(p);
        return finish(p, Phase.COMPLETED, new Change()
                .set("output_keys", keys)
                .remove("upstream_outputs")
                .set("completed_at", now.toEpochMilli())
                .set("charge_micro_usd", cost)
                .alsoWrite(usage.chargeItem(p.keyId(), now.atZone(ZoneOffset.UTC).toLocalDate(), p.request().duration(), cost)));
    }

    // ---- terminal ----

    /** Cancels on the client's request: never charged; the provider job is stopped when there is one. */
    public Optional<Prediction> cancel(Prediction p) {
        Prediction moved = finish(p, Phase.CANCELLED, new Change().error("cancelled by the client"));
        if (moved == null || moved.phase() != Phase.CANCELLED || moved.version() == p.version()) {
            return Optional.empty();
        }
        if (p.job() != null) {
            providers.byName(p.job().provider()).ifPresent(pr -> cancelQuietly(pr, p.job()));
        }
        return Optional.of(moved);
    }

    private Prediction timeOut(Prediction p) {
        Prediction moved = finish(p, Phase.FAILED, new Change().error(
                "timed out: not finished within " + deadline.toMinutes() + " minutes"));
        if (p.job() != null && moved.phase() == Phase.FAILED) {
            providers.byName(p.job().provider()).ifPresent(pr -> cancelQuietly(pr, p.job()));
        }
        return moved;
    }

    /**
     * Moves {@code p} to a terminal phase: refunds a prepaid reservation unless it completed
     * (in the same transaction), and makes its webhook due. Returns the new state, or the
     * current one when another writer won.
     */
    Prediction finish(Prediction p, Phase to, Change change) {
        if (p.reservedMicroUsd() > 0 && to != Phase.COMPLETED) {
            change.alsoWrite(ApiKeyStore.refundItem(store.table(), p.keyHash(), p.reservedMicroUsd()));
        }
        if (p.webhook() != null) {
            change.set("webhook_state", "pending").due(clock.instant());
        }
        Optional<Prediction> moved = store.transition(p, to, change);
        if (moved.isEmpty()) {
            return reread(p);
        }
        try {
            onFinished.accept(moved.get());
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "after-finish work failed for " + p.id(), e);
        }
        // Deliver at once when this process can build the body's links; else the poller does, due now.
        return moved.get().webhook() != null && webhooks.knowsBaseUrl() ? deliverWebhook(moved.get()) : moved.get();
    }

    private Prediction deliverWebhook(Prediction p) {
        WebhookSender.Delivery d = webhooks.deliver(p);
        Change c = new Change().set("webhook_attempts", p.webhookAttempts() + 1L);
        if (d.result().ok()) {
            c.set("webhook_state", "delivered").notDue();
        } else if (d.retryIn().isPresent()) {
            c.due(clock.instant().plus(d.retryIn().get()));
        } else {
            c.set("webhook_state", "gave_up").notDue();
            LOG.log(Level.WARNING, "gave up delivering the webhook of {0} after {1} attempts", p.id(), p.webhookAttempts() + 1);
        }
        return store.transition(p, p.phase(), c).orElseGet(() -> reread(p));
    }

    // ---- helpers ----

    private Prediction reread(Prediction p) {
        return store.get(p.id()).orElse(p);
    }

    private static void cancelQuietly(InferenceProvider provider, dev.foley.provider.ProviderJob job) {
        try {
            provider.cancel(job);
        } catch (ProviderException | RuntimeException e) {
            LOG.log(Level.WARNING, "could not cancel job {0} at {1}: {2}", job.id(), provider.name(), e.getMessage());
        }
    }

    /** The prediction's attempt log with these lines added, kept to its last entries. */
    private List<String> log(Prediction p, List<String> lines) {
        List<String> all = new ArrayList<>(p.attempts());
        String at = clock.instant().toString();
        for (String l : lines) {
            all.add(at + " " + l);
        }
        return all.size() > MAX_LOGGED_ATTEMPTS ? all.subList(all.size() - MAX_LOGGED_ATTEMPTS, all.size()) : all;
    }

    private static Duration clamp(Duration d, Duration min, Duration max) {
        return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
    }
}
