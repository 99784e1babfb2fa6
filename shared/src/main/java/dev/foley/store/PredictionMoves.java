package dev.foley.store;

import static dev.foley.store.Attr.n;
import static dev.foley.store.Attr.num;
import static dev.foley.store.Attr.s;
import static dev.foley.store.Attr.str;
import static dev.foley.store.FoleyTable.*;
import static dev.foley.store.PredictionItems.*;

import dev.foley.prediction.Jobs;
import dev.foley.prediction.Notifications;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.Pricing;
import dev.foley.prediction.ProviderJob;
import dev.foley.prediction.Windows;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

/**
 * Every versioned move of a prediction after it is made, in the domain's words, one method per
 * transition of its life (docs/design.md): a claim, what a submit, a check, a cut, a copy or the
 * effects came to, a finish. Each is one conditional write on the phase and version read
 * ({@link StoreWrites}), so of any number of racing writers exactly one wins; the loser gets
 * {@code Optional.empty()} and reads again. A charge or a refund is written in the same
 * transaction as the transition that causes it.
 */
public final class PredictionMoves {

    private final StoreWrites w;

    PredictionMoves(StoreWrites w) {
        this.w = w;
    }


    /**
     * Claims {@code p}'s next step for {@code owner} until {@code until}, if nobody moved it since it
     * was read and nobody holds a live lease on it. While claimed, the prediction is due at the lease's
     * end, so a poller comes back only if the holder never records (it crashed). A submit claim counts
     * one more unconfirmed submit; an effects claim that {@code countsWebhookAttempt} counts the
     * attempt before it is made.
     */
    public Optional<Prediction> claim(Prediction p, PredictionStore.Step step, String owner, Instant until, boolean countsWebhookAttempt) {
        Update u = w.moveFrom(p, p.phase());
        String now = u.value(n(w.clock.instant().toEpochMilli()));
        u.when("(attribute_not_exists(" + u.name(LEASE_UNTIL) + ") OR " + u.name(LEASE_UNTIL) + " < " + now + ")");
        u.set(LEASE_OWNER, owner).set(LEASE_UNTIL, until.toEpochMilli());
        w.due(u, p.id(), until);
        if (step == PredictionStore.Step.SUBMIT) {
            u.add(UNCONFIRMED, n(1));
        }
        if (countsWebhookAttempt) {
            u.add(WEBHOOK_ATTEMPTS, n(1));
        }
        return w.write(p, u);
    }

    /**
     * Holds a claimed step's lease longer: {@code next} instead of {@code current}, only while the
     * claim stands (same version, same lease end: nothing else moved it, nobody took it over). The
     * version is not bumped, so the holder's record still matches. False when the claim is gone.
     */
    public boolean renewLease(Prediction claimed, Instant current, Instant next) {
        Update u = new Update();
        u.when(u.name(VERSION) + " = " + u.value(n(claimed.version())));
        u.when(u.name(LEASE_UNTIL) + " = " + u.value(n(current.toEpochMilli())));
        u.set(LEASE_UNTIL, next.toEpochMilli());
        w.due(u, claimed.id(), next);
        try {
            PredictionStore.guarded(() -> w.dynamo.updateItem(r -> w.request(r, claimed.id(), u)));
            return true;
        } catch (ConditionalCheckFailedException lost) {
            return false;
        }
    }

    // ---- accepted → submitted ----

    /** The claimed submit made {@code job}: it is the one to follow. */
    public Optional<Prediction> recordSubmitted(Prediction claimed, ProviderJob job, Instant firstCheck, List<String> lines) {
        Update u = w.moveFrom(claimed, Phase.SUBMITTED);
        w.winner(u, job);
        u.add(UNCONFIRMED, n(-1)).set(CHECKS, 0).set(NOT_FOUND_CHECKS, 0).remove(LEASE_OWNER).remove(LEASE_UNTIL)
                .append(ATTEMPTS, w.stamped(lines));
        w.due(u, claimed.id(), firstCheck);
        return w.write(claimed, u);
    }

    /**
     * The claimed submit made no job we know of: try again at {@code retryAt} (null: wait for a
     * callback until then, not due). {@code maybeCreated}: the request reached the provider, so it
     * stays counted against the prediction's submit budget.
     */
    public Optional<Prediction> recordSubmitFailure(Prediction claimed, boolean maybeCreated, Instant retryAt, List<String> lines) {
        Update u = w.moveFrom(claimed, Phase.ACCEPTED);
        if (!maybeCreated) {
            u.add(UNCONFIRMED, n(-1));
        }
        u.add(CHECKS, n(1)); // while accepted, checks counts the submits that failed (their backoff)
        u.remove(LEASE_OWNER).remove(LEASE_UNTIL).append(ATTEMPTS, w.stamped(lines));
        w.due(u, claimed.id(), retryAt);
        return w.write(claimed, u);
    }

    /**
     * A verified callback names a job while the prediction still waits for its submit's answer (the
     * answer was lost, or is still on its way): that job is the one to follow. Any submit in flight
     * loses its claim and treats its own job as an orphan unless it is this one.
     */
    public Optional<Prediction> adopt(Prediction p, ProviderJob job, List<String> lines) {
        Update u = w.moveFrom(p, Phase.SUBMITTED);
        w.winner(u, job);
        if (p.jobs().unconfirmed() > 0) {
            u.add(UNCONFIRMED, n(-1));
        }
        u.set(CHECKS, 0).set(NOT_FOUND_CHECKS, 0).remove(LEASE_OWNER).remove(LEASE_UNTIL).append(ATTEMPTS, w.stamped(lines));
        w.due(u, p.id(), w.clock.instant());
        return w.write(p, u);
    }

    /**
     * A job nobody follows: a submit's answer came after its prediction moved on, or a callback named
     * a job the prediction does not track. It is recorded ({@code ended}: it has finished by itself,
     * nothing to stop), and the prediction made due at once, so whoever steps it next stops the job; the version moves, so a writer holding an older read
     * (and not knowing of this job) loses and reads again.
     */
    public Optional<Prediction> recordOrphan(String predictionId, ProviderJob job, boolean ended, List<String> lines) {
        Update u = new Update();
        String pk = u.name(PK);
        u.when("attribute_exists(" + pk + ")");
        u.setExpression(VERSION, u.name(VERSION) + " + " + u.value(n(1)));
        u.set(UPDATED_AT, w.clock.instant().toEpochMilli());
        u.add(JOBS, AttributeValue.fromSs(List.of(job.toJson())));
        if (ended) {
            u.add(JOBS_STOPPED, AttributeValue.fromSs(List.of(job.key())));
        }
        u.append(ATTEMPTS, w.stamped(lines));
        w.due(u, predictionId, w.clock.instant());
        try {
            var resp = PredictionStore.guarded(() -> w.dynamo.updateItem(r -> w.request(r, predictionId, u).returnValues(ReturnValue.ALL_NEW)));
            return Optional.of(fromItem(resp.attributes()));
        } catch (ConditionalCheckFailedException gone) {
            return Optional.empty();
        }
    }

    /**
     * Adds lines to a prediction's attempt log whatever state it is in: what a step did is kept
     * even when its record lost a race (a late submit's timeout, say).
     */
    public void appendAttempts(String predictionId, List<String> lines) {
        if (lines.isEmpty()) {
            return;
        }
        Update u = new Update();
        u.when("attribute_exists(" + u.name(PK) + ")");
        u.append(ATTEMPTS, w.stamped(lines));
        try {
            PredictionStore.guarded(() -> w.dynamo.updateItem(r -> w.request(r, predictionId, u)));
        } catch (ConditionalCheckFailedException gone) {
            // the prediction expired meanwhile: nothing to record on
        }
    }

    // ---- submitted: checks ----

    /** A status check (or a failed check call) found the job still running: check again at {@code next}. */
    public Optional<Prediction> recordCheck(Prediction p, Instant next, int notFoundChecks, List<String> lines) {
        Update u = w.moveFrom(p, Phase.SUBMITTED);
        u.add(CHECKS, n(1)).set(NOT_FOUND_CHECKS, notFoundChecks).append(ATTEMPTS, w.stamped(lines));
        w.due(u, p.id(), next);
        return w.write(p, u);
    }

    /** The provider's job is done: its outputs wait to be copied; completion is due by {@code handOver}. */
    public Optional<Prediction> markUpstreamDone(Prediction p, List<String> outputs, List<Boolean> nsfw, long inferenceMs,
            Instant handOver) {
        Update u = w.moveFrom(p, Phase.UPSTREAM_DONE);
        u.set(UPSTREAM_OUTPUTS, AttributeValue.fromL(outputs.stream().map(Attr::s).toList()))
                .set(NSFW, AttributeValue.fromL(nsfw.stream().map(Attr::bool).toList()))
                .set(INFERENCE_MS, inferenceMs)
                .set(UPSTREAM_AT, w.clock.instant().toEpochMilli())
                .remove(LEASE_OWNER).remove(LEASE_UNTIL);
        w.due(u, p.id(), handOver);
        return w.write(p, u);
    }

    /**
     * A prediction failed because its provider no longer knew the job ({@code Lifecycle.JOB_LOST}),
     * whose verified callback now says that job is done: it is adopted again, upstream done, its
     * error cleared and its webhook owed anew. A prepaid reservation given back at the failure is
     * taken again in the same transaction (empty, nothing written, when the balance no longer holds it).
     */
    public Optional<Prediction> revive(Prediction failed, List<String> outputs, List<Boolean> nsfw, long inferenceMs,
            Instant handOver, List<String> lines) {
        Update u = w.moveFrom(failed, Phase.UPSTREAM_DONE);
        u.set(UPSTREAM_OUTPUTS, AttributeValue.fromL(outputs.stream().map(Attr::s).toList()))
                .set(NSFW, AttributeValue.fromL(nsfw.stream().map(Attr::bool).toList()))
                .set(INFERENCE_MS, inferenceMs)
                .set(UPSTREAM_AT, w.clock.instant().toEpochMilli())
                .set(ERROR, "")
                .remove(LEASE_OWNER).remove(LEASE_UNTIL).append(ATTEMPTS, w.stamped(lines));
        w.notifications(u, Notifications.NONE);
        w.due(u, failed.id(), handOver);
        if (failed.reservedMicroUsd() > 0) {
            return w.writeWith(failed, u, ApiKeyStore.reserveItem(w.table, failed.keyHash(), failed.reservedMicroUsd()));
        }
        return w.write(failed, u);
    }

    // ---- long predictions ----

    /** The media function cut the video (its claim): the windows are planned, the parent is at work; due at {@code due}. */
    public Optional<Prediction> recordCut(Prediction claimed, Windows planned, Instant due, List<String> lines) {
        Update u = w.moveFrom(claimed, Phase.SUBMITTED);
        windows(u, planned);
        u.remove(LEASE_OWNER).remove(LEASE_UNTIL).append(ATTEMPTS, w.stamped(lines));
        w.due(u, claimed.id(), due);
        return w.write(claimed, u);
    }

    /** The claimed cut failed (the video could not be fetched, say): try again at {@code retryAt}, counted as a media attempt. */
    public Optional<Prediction> recordCutFailure(Prediction claimed, Instant retryAt, List<String> lines) {
        return failedAttempt(claimed, Phase.ACCEPTED, retryAt, lines);
    }

    /** How many windows are done now; looked at again at {@code next}. */
    public Optional<Prediction> recordProgress(Prediction p, int done, Instant next, List<String> lines) {
        Update u = w.moveFrom(p, Phase.SUBMITTED);
        u.set(WINDOWS_DONE, done).add(CHECKS, n(1));
        if (!lines.isEmpty()) {
            u.append(ATTEMPTS, w.stamped(lines));
        }
        w.due(u, p.id(), next);
        return w.write(p, u);
    }

    private static void windows(Update u, Windows w) {
        PredictionItems.windowsItem(w).forEach(u::set);
    }

    // ---- upstream_done → completed ----

    /** Keeps an upstream-done prediction due (completion is handed it again by {@code at}). */
    public Optional<Prediction> reschedule(Prediction p, Instant at) {
        Update u = w.moveFrom(p, p.phase());
        w.due(u, p.id(), at);
        return w.write(p, u);
    }

    /** The claimed copy failed; try again at {@code retryAt}. */
    public Optional<Prediction> recordCopyFailure(Prediction claimed, Instant retryAt, List<String> lines) {
        return failedAttempt(claimed, Phase.UPSTREAM_DONE, retryAt, lines);
    }

    /** A claimed copy or media step failed in {@code phase}: one more attempt counted, the lease let go, due again at {@code retryAt}. */
    private Optional<Prediction> failedAttempt(Prediction claimed, Phase phase, Instant retryAt, List<String> lines) {
        Update u = w.moveFrom(claimed, phase);
        u.add(COPY_ATTEMPTS, n(1)).set(RETRY_AT, retryAt.toEpochMilli()).remove(LEASE_OWNER).remove(LEASE_UNTIL)
                .append(ATTEMPTS, w.stamped(lines));
        w.due(u, claimed.id(), retryAt);
        return w.write(claimed, u);
    }

    /**
     * Completed, with its outputs in our bucket: charged {@code microUsd} on the prediction and in
     * the key's usage for today, in one transaction with the transition. What it still owes (its
     * webhook, its result file) is due at {@code due}.
     */
    public Optional<Prediction> complete(Prediction claimed, List<String> outputKeys, long microUsd, Notifications owed, Instant due) {
        return complete(claimed, outputKeys, Pricing.secondsOf(claimed), microUsd, owed, due, List.of());
    }

    /**
     * The same, for {@code seconds} of audio; a reservation larger than the charge (the long model
     * reserves for its limit) gives the rest back in the same transaction. A window is not charged.
     */
    public Optional<Prediction> complete(Prediction claimed, List<String> outputKeys, long seconds, long microUsd,
            Notifications owed, Instant due, List<String> lines) {
        return complete(claimed, outputKeys, List.of(), seconds, microUsd, owed, due, lines);
    }

    /** The same, with each output's sound check ({@code quality}, JSON objects; empty: not checked). */
    public Optional<Prediction> complete(Prediction claimed, List<String> outputKeys, List<String> quality, long seconds,
            long microUsd, Notifications owed, Instant due, List<String> lines) {
        Instant now = w.clock.instant();
        Update u = w.moveFrom(claimed, Phase.COMPLETED);
        if (!quality.isEmpty()) {
            u.set(QUALITY, AttributeValue.fromL(quality.stream().map(Attr::s).toList()));
        }
        u.set(OUTPUT_KEYS, AttributeValue.fromL(outputKeys.stream().map(Attr::s).toList()))
                .remove(UPSTREAM_OUTPUTS)
                .set(COMPLETED_AT, now.toEpochMilli())
                .set(CHARGE, microUsd)
                .remove(LEASE_OWNER).remove(LEASE_UNTIL);
        w.notifications(u, owed);
        if (!lines.isEmpty()) {
            u.append(ATTEMPTS, w.stamped(lines));
        }
        w.due(u, claimed.id(), due);
        if (claimed.isWindow()) {
            return w.write(claimed, u);
        }
        List<TransactWriteItem> companions = new ArrayList<>();
        companions.add(UsageStore.chargeItem(w.table, claimed.keyId(), now.atZone(ZoneOffset.UTC).toLocalDate(), seconds, microUsd));
        if (claimed.reservedMicroUsd() > microUsd) {
            companions.add(ApiKeyStore.refundItem(w.table, claimed.keyHash(), claimed.reservedMicroUsd() - microUsd));
        }
        Optional<Prediction> done = w.writeWith(claimed, u, companions.toArray(TransactWriteItem[]::new));
        done.ifPresent(d -> PhaseEvents.charged(seconds, microUsd));
        return done;
    }

    // ---- failed, cancelled ----

    /**
     * Ends {@code p} without a result ({@code to} is failed or cancelled), never charged: a prepaid
     * reservation goes back to its key in the same transaction. {@code jobEnded}: the tracked job
     * ended by itself (it failed), so there is nothing to stop.
     */
    public Optional<Prediction> finish(Prediction p, Phase to, String error, boolean jobEnded, Notifications owed, Instant due,
            List<String> lines) {
        if (to != Phase.FAILED && to != Phase.CANCELLED) {
            throw new IllegalArgumentException("finish is for failed or cancelled, not " + to);
        }
        Update u = w.moveFrom(p, to);
        u.set(ERROR, error).remove(LEASE_OWNER).remove(LEASE_UNTIL).append(ATTEMPTS, w.stamped(lines));
        if (jobEnded && p.job() != null) {
            u.add(JOBS_STOPPED, AttributeValue.fromSs(List.of(p.job().key())));
        }
        w.notifications(u, owed);
        w.due(u, p.id(), due);
        if (p.reservedMicroUsd() > 0) {
            return w.writeWith(p, u, ApiKeyStore.refundItem(w.table, p.keyHash(), p.reservedMicroUsd()));
        }
        return w.write(p, u);
    }

    // ---- effects ----

    /**
     * What the holder of an effects claim did: jobs stopped (their keys), what is still owed, and
     * when the prediction is next due (null: never again).
     */
    public Optional<Prediction> recordEffects(Prediction claimed, Set<String> stopped, Notifications owed, Instant due,
            List<String> lines) {
        return recordEffects(claimed, stopped, null, owed, due, lines);
    }

    /**
     * The same, with where the cancels stand ({@code stops}: a failed round's count and when the
     * next is due; null: as they were).
     */
    public Optional<Prediction> recordEffects(Prediction claimed, Set<String> stopped, Jobs stops, Notifications owed,
            Instant due, List<String> lines) {
        Update u = w.moveFrom(claimed, claimed.phase());
        if (!stopped.isEmpty()) {
            u.add(JOBS_STOPPED, AttributeValue.fromSs(List.copyOf(stopped)));
        }
        if (stops != null) {
            u.set(STOP_ATTEMPTS, stops.stopAttempts());
            if (stops.stopDueAt() == null) {
                u.remove(STOP_DUE_AT);
            } else {
                u.set(STOP_DUE_AT, stops.stopDueAt().toEpochMilli());
            }
        }
        w.notifications(u, owed);
        u.remove(LEASE_OWNER).remove(LEASE_UNTIL).append(ATTEMPTS, w.stamped(lines));
        w.due(u, claimed.id(), due);
        return w.write(claimed, u);
    }
}
