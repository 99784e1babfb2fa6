package dev.foley.admission;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.json.Json;
import dev.foley.key.ApiKey;
import dev.foley.key.KeyMaterial;
import dev.foley.lifecycle.Lifecycle;
import dev.foley.pipeline.Pipeline;
import dev.foley.prediction.FieldError;
import dev.foley.prediction.IdGenerator;
import dev.foley.prediction.InvalidRequestException;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.Pricing;
import dev.foley.prediction.RequestValidator;
import dev.foley.store.ApiKeyStore;
import dev.foley.store.IdempotencyConflictException;
import dev.foley.store.PredictionStore;
import dev.foley.time.Deadline;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one way a request becomes a prediction, for the API's submit and for S3-triggered ingest
 * alike: validate; reserve the price on a prepaid key (or refuse, 402); store the prediction, with
 * its {@code Idempotency-Key} claim, already claimed for its first submit; submit it. Whatever goes
 * wrong after the reservation gives it back (one refund behaviour: {@link #refund}). Nothing
 * refused is stored, reaches a provider, or costs anything.
 */
public final class Admission {

    /**
     * What is asked for: the body as the client sent it (for ingest, as its metadata or sidecar made
     * it; null when the caller could not read one), its webhook, whose key pays, and the idempotency
     * key that makes a repeat the same prediction (the client's header, or an upload's object
     * version). {@code unreadable} is why there is no body (reported first); {@code callerErrors}
     * are problems in what only the caller sees (a header, the ingest key), reported last.
     */
    public record Application(Kind kind, JsonNode body, String webhook, ApiKey key, String idempotencyKey, String ingestKey,
            FieldError unreadable, List<FieldError> callerErrors, String model, dev.foley.prediction.Redo redo) {
        public Application {
            callerErrors = callerErrors == null ? List.of() : List.copyOf(callerErrors);
        }

        public Application(Kind kind, JsonNode body, String webhook, ApiKey key, String idempotencyKey, String ingestKey,
                FieldError unreadable, List<FieldError> callerErrors, String model) {
            this(kind, body, webhook, key, idempotencyKey, ingestKey, unreadable, callerErrors, model, null);
        }

        /** An application to MMAudio v2 (the model of {@code kind}). */
        public Application(Kind kind, JsonNode body, String webhook, ApiKey key, String idempotencyKey, String ingestKey,
                FieldError unreadable, List<FieldError> callerErrors) {
            this(kind, body, webhook, key, idempotencyKey, ingestKey, unreadable, callerErrors, null);
        }
    }

    /** What came of an application. */
    public sealed interface Outcome {
        /** Stored and handed to a provider (or left to the poller, if the provider did not take it yet). */
        record Admitted(Prediction prediction) implements Outcome {
        }

        /** The same idempotency key with the same request: the original prediction. */
        record Replayed(Prediction original) implements Outcome {
        }

        /** Bad input: every field that is wrong, and why. */
        record Invalid(List<FieldError> errors) implements Outcome {
        }

        /** A prepaid key without the price of this request. */
        record InsufficientBalance(long costMicroUsd) implements Outcome {
        }

        /** An API request from a key that has its limit of predictions at work: nothing stored. */
        record TooManyInFlight(int max) implements Outcome {
        }

        /** The idempotency key was used with another request. */
        record IdempotencyConflict() implements Outcome {
        }
    }

    private static final dev.foley.obs.Log.Logger LOG = dev.foley.obs.Log.logger("foley.admission");

    private final PredictionStore store;
    private final ApiKeyStore keys;
    private final RequestValidator validator;
    private final Pipeline pipeline;
    private final Pricing pricing;
    private final IdGenerator ids;
    private final Clock clock;
    private final dev.foley.key.KeyLimits defaultLimits;

    public Admission(PredictionStore store, ApiKeyStore keys, RequestValidator validator, Pipeline pipeline, Pricing pricing,
            IdGenerator ids, Clock clock, dev.foley.key.KeyLimits defaultLimits) {
        this.defaultLimits = defaultLimits;
        this.store = store;
        this.keys = keys;
        this.validator = validator;
        this.pipeline = pipeline;
        this.pricing = pricing;
        this.ids = ids;
        this.clock = clock;
    }

    /**
     * Admits {@code a}, submitting it within {@code submitBy}; providers may push to
     * {@code pushBase} when no callback base is configured.
     */
    public Outcome admit(Application a, Optional<String> pushBase, Deadline submitBy) {
        List<FieldError> errors = new ArrayList<>();
        PredictionRequest request = null;
        if (a.unreadable() != null) {
            errors.add(a.unreadable());
        } else {
            try {
                request = validator.validate(a.kind(), a.model(), a.body());
                if (request.kind() == dev.foley.prediction.Kind.VIDEO && !request.media().segments().isEmpty()) {
                    request = request.windowed(); // a short request with segments is windowed as the long path is
                }
                if (a.redo() != null) {
                    request = request.withRedo(a.redo()); // a regenerate: set by its route, never by a client's body
                }
            } catch (InvalidRequestException e) {
                errors.addAll(e.errors());
            }
        }
        if (a.webhook() != null) {
            validator.checkWebhook(a.webhook(), errors);
        }
        errors.addAll(a.callerErrors());
        if (!errors.isEmpty() || a.key() == null) {
            return new Outcome.Invalid(errors);
        }
        Instant now = clock.instant();
        // Stored already claimed for its first submit: the poller leaves it alone while we submit it.
        Prediction accepted = Prediction.accepted(ids.next(), a.key().keyId(), request, a.webhook(), now).withKeyHash(a.key().hash());
        // A long video goes to the media function first (to be cut): due again if that hand-over is lost.
        Prediction p = accepted.hasTakes() ? accepted // takes are planned, then each is a child's own claimed submit
                : request.kind() == dev.foley.prediction.Kind.LONG
                ? accepted.toBuilder().dueAt(now.plus(Lifecycle.MEDIA_HANDOVER)).build()
                : accepted.claimedForSubmit(pipeline.owner(), now.plus(Lifecycle.SUBMIT_LEASE));
        if (a.ingestKey() != null) {
            p = p.withIngestKey(a.ingestKey());
        }
        // A key's limit of predictions in flight holds for its API requests (an upload to the
        // uploads bucket is the operator's own, and a refused one could not be asked again).
        var limits = a.key().limits().orElse(defaultLimits);
        int maxInFlight = a.ingestKey() == null && limits.limitsInFlight() ? limits.maxInFlight() : 0;
        if (maxInFlight > 0) {
            p = p.toBuilder().countedForKey(true).build();
        }
        PredictionStore.IdempotencyClaim claim = a.idempotencyKey() == null ? null : new PredictionStore.IdempotencyClaim(
                a.key().keyId(), a.idempotencyKey(),
                KeyMaterial.sha256Hex(a.kind().code() + (a.model() == null ? "" : "@" + a.model()) + "\n" + Json.write(request.toJson()) + "\n" + a.webhook()));
        long cost = pricing.costOf(request);
        // With a limit in flight, a prepaid reservation is taken in the transaction that takes the
        // place in flight: a request refused for the limit never holds balance another one needs.
        boolean reserveWithIt = a.key().prepaid() && maxInFlight > 0;
        if (a.key().prepaid()) {
            if (!reserveWithIt && !keys.reserve(a.key(), cost)) {
                return new Outcome.InsufficientBalance(cost);
            }
            p = p.withReservation(cost);
        }
        Prediction stored = p;
        Runnable giveBack = reserveWithIt ? () -> { } : () -> refund(stored); // a failed transaction took nothing
        PredictionStore.Created created;
        try {
            created = store.create(p, claim, maxInFlight, reserveWithIt);
        } catch (IdempotencyConflictException e) {
            giveBack.run();
            return new Outcome.IdempotencyConflict();
        } catch (PredictionStore.KeyBusyException e) {
            giveBack.run();
            return new Outcome.TooManyInFlight(maxInFlight);
        } catch (PredictionStore.ShortOfBalanceException e) {
            return new Outcome.InsufficientBalance(cost);
        } catch (RuntimeException e) {
            giveBack.run();
            throw e;
        }
        if (created instanceof PredictionStore.Created.Replayed replayed) {
            giveBack.run(); // the original holds its own reservation
            return new Outcome.Replayed(replayed.prediction());
        }
        try {
            return new Outcome.Admitted(pipeline.submitClaimed(p, pushBase, submitBy));
        } catch (RuntimeException e) {
            // Stored, with its claim: whatever happened here, the poller takes it over when the lease ends.
            LOG.log(Level.ERROR, "submitting prediction " + p.id() + " to its provider failed; the poller will retry", e);
            return new Outcome.Admitted(p);
        }
    }

    /**
     * Gives back the reservation of a prediction that was not stored (or replayed an earlier one).
     * A refund that cannot be written is tried three times, then logged with what to credit by hand;
     * it never hides the caller's own outcome.
     */
    private void refund(Prediction p) {
        if (p.reservedMicroUsd() <= 0) {
            return;
        }
        RuntimeException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                keys.refund(p.keyHash(), p.reservedMicroUsd());
                return;
            } catch (RuntimeException e) {
                last = e;
            }
        }
        LOG.log(Level.ERROR, "could not refund " + Pricing.usd(p.reservedMicroUsd()) + " to key " + p.keyId()
                + " (prediction " + p.id() + " was not stored): credit it with ./foley keys credit " + p.keyId(), last);
    }
}
