package dev.foley.pipeline;

import dev.foley.lifecycle.EffectRules;
import dev.foley.lifecycle.Lifecycle;
import dev.foley.net.PinnedHttp;
import dev.foley.prediction.Jobs;
import dev.foley.prediction.Notifications;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.ProviderJob;
import dev.foley.prediction.WebhookState;
import dev.foley.provider.InferenceProvider;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The effects stage: what a prediction does outside the table once its work is decided, each
 * under an effects claim (claim, act, record): stopping the jobs that should not run on (orphans;
 * all of a failed or cancelled prediction's), delivering a webhook attempt, writing an
 * S3-triggered prediction's result file. What comes after each is decided by
 * {@link EffectRules}, without I/O; the record goes through the pipeline's
 * {@link Recorder} (which knows what to do when a record loses its race).
 */
final class Effects {

    /** Gives up an effect that keeps failing after this long (the jobs, the webhook, the file). */
    static final Duration GIVE_UP = Duration.ofHours(1);
    /** A result file that could not be written is tried again after this long. */
    static final Duration RETRY = Duration.ofSeconds(30);
    private static final dev.foley.obs.Log.Logger LOG = dev.foley.obs.Log.logger("foley.pipeline");

    /** Records what an effects claim did: the jobs stopped, what is still owed, when it is due, its lines. */
    interface Recorder {
        Prediction record(Prediction claimed, Set<String> stopped, Jobs stops, Notifications owed, Instant due, List<String> lines);
    }

    private final PredictionStore store;
    private final ProviderChain providers;
    private final WebhookSender webhooks;
    private final WebhookAttempts webhookAttempts;
    private final Pipeline.ResultFiles resultFiles;
    private final Clock clock;
    private final String owner;
    private final Recorder recorder;

    Effects(PredictionStore store, ProviderChain providers, WebhookSender webhooks, WebhookAttempts webhookAttempts,
            Pipeline.ResultFiles resultFiles, Clock clock, String owner, Recorder recorder) {
        this.store = store;
        this.providers = providers;
        this.webhooks = webhooks;
        this.webhookAttempts = webhookAttempts;
        this.resultFiles = resultFiles;
        this.clock = clock;
        this.owner = owner;
        this.recorder = recorder;
    }

    /** Stops the jobs that should not run on, under a claim; a round that fails is tried again on its schedule. */
    Prediction stopJobs(Prediction p, Deadline until) {
        Instant leaseEnd = clock.instant().plus(Lifecycle.EFFECTS_LEASE);
        Optional<Prediction> claimedOpt = store.moves().claim(p, Step.EFFECTS, owner, leaseEnd, false);
        if (claimedOpt.isEmpty()) {
            return p; // someone else has it
        }
        Prediction claimed = claimedOpt.get();
        Deadline act = until.orEarlier(leaseEnd.minus(Lifecycle.RECORD_MARGIN));
        Set<String> stopped = new LinkedHashSet<>();
        List<String> lines = new ArrayList<>();
        boolean giveUp = clock.instant().isAfter(claimed.createdAt().plus(GIVE_UP));
        int failed = 0;
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
                failed++;
                String line = "could not stop job " + job.key() + " (round " + (claimed.jobs().stopAttempts() + 1) + "): "
                        + e.getMessage() + (giveUp ? " (given up)" : "");
                lines.add(line);
                LOG.log(Level.WARNING, "{0}: {1}", p.id(), line);
                dev.foley.obs.Metrics.put(dev.foley.obs.Metrics.Metric.JobStopFailures, 1, "Provider", job.provider());
                if (giveUp) {
                    stopped.add(job.key());
                }
            }
        }
        EffectRules.StopRound round = EffectRules.afterStopRound(claimed, stopped, failed, p.dueAt(), clock.instant());
        return recorder.record(claimed, stopped, round.jobs(), claimed.notifications(), round.due(), lines);
    }

    /** A webhook attempt (claimed, so one delivery per scheduled attempt) and/or the result file. */
    Prediction notifyClient(Prediction p, Deadline until) {
        Instant now = clock.instant();
        boolean webhookNow = p.notifications().webhookDueBy(now);
        Optional<Prediction> claimedOpt = store.moves().claim(p, Step.EFFECTS, owner, now.plus(Lifecycle.EFFECTS_LEASE), webhookNow);
        if (claimedOpt.isEmpty()) {
            return p; // someone else has it
        }
        Prediction claimed = claimedOpt.get();
        Notifications n = claimed.notifications();
        List<String> lines = new ArrayList<>();
        boolean giveUp = now.isAfter(claimed.createdAt().plus(GIVE_UP));
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
                fileRetry = filePending ? now.plus(RETRY) : null;
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
            EffectRules.WebhookOutcome o = EffectRules.afterWebhookAttempt(attempt, r.ok(), a.retryable(), clock.instant());
            dev.foley.obs.Metrics.put(dev.foley.obs.Metrics.Metric.WebhookDeliveries, 1, "Outcome", o.outcome());
            if (o.state() == WebhookState.GAVE_UP) {
                dev.foley.obs.Metrics.put(dev.foley.obs.Metrics.Metric.WebhookGiveUps, 1);
                LOG.log(Level.WARNING, "gave up delivering the webhook of {0} after {1} attempts", p.id(), attempt);
            }
            state = o.state();
            webhookDue = o.due();
            lines.add("webhook attempt " + attempt + ": " + (r.ok() ? "delivered" : r.status() > 0 ? "HTTP " + r.status() : r.error()));
        }
        Notifications owed = new Notifications(state, claimed.webhookAttempts(), webhookDue, filePending);
        return recorder.record(claimed, Set.of(), null, owed, EffectRules.dueAfterNotifying(claimed, owed, fileRetry, clock.instant()), lines);
    }
}
