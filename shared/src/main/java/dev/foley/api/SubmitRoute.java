package dev.foley.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.auth.ApiKey;
import dev.foley.auth.KeyMaterial;
import dev.foley.json.Json;
import dev.foley.lifecycle.Lifecycle;
import dev.foley.pipeline.Pipeline;
import dev.foley.prediction.FieldError;
import dev.foley.prediction.IdGenerator;
import dev.foley.prediction.InvalidRequestException;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.RequestValidator;
import dev.foley.store.ApiKeyStore;
import dev.foley.store.IdempotencyConflictException;
import dev.foley.store.PredictionStore;
import dev.foley.store.PredictionStore.IdempotencyClaim;
import dev.foley.time.Deadline;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * {@code POST /api/v3/wavespeed-ai/mmaudio-v2[/text-to-audio]}: checks the request, reserves the
 * price on a prepaid key, stores the prediction, hands it to a provider, and, with
 * {@code enable_sync_mode}, drives it to the end for up to 25 s before answering.
 */
public final class SubmitRoute {

    public static final int MAX_BODY_BYTES = 64 * 1024;
    /** The first submit may take this long from the request's start (the API function is cut at 29 s). */
    static final Duration SUBMIT_BUDGET = Duration.ofSeconds(22);
    private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");
    private static final System.Logger LOG = System.getLogger("foley.api");

    private final PredictionStore store;
    private final ApiKeyStore keys;
    private final RequestValidator validator;
    private final IdGenerator ids;
    private final Clock clock;
    private final Optional<String> publicBaseUrl;
    private final Pipeline pipeline;
    private final Duration syncWait;
    private final boolean pushBase;

    public SubmitRoute(PredictionStore store, ApiKeyStore keys, RequestValidator validator, IdGenerator ids, Clock clock,
            Optional<String> publicBaseUrl, Pipeline pipeline, Duration syncWait, boolean pushToRequestBase) {
        this.pushBase = pushToRequestBase;
        this.store = store;
        this.keys = keys;
        this.validator = validator;
        this.ids = ids;
        this.clock = clock;
        this.publicBaseUrl = publicBaseUrl;
        this.pipeline = pipeline;
        this.syncWait = syncWait;
    }

    Optional<String> publicBaseUrl() {
        return publicBaseUrl;
    }

    ApiResponse handle(ApiRequest req, ApiKey key, Kind kind, String base) throws ApiException {
        Instant started = clock.instant();
        String type = req.header("content-type");
        if (type != null && !isJson(type)) {
            throw new ApiException(415, "Content-Type must be application/json, got " + FoleyApi.shorten(type, 80)
                    + " (with curl: -H 'Content-Type: application/json')");
        }
        byte[] body = req.body() == null ? new byte[0] : req.body();
        if (body.length > MAX_BODY_BYTES) {
            throw new ApiException(413, "body: must be at most " + MAX_BODY_BYTES + " bytes, got " + body.length);
        }
        Map<String, String> query = QueryString.parse(req.rawQuery());
        List<FieldError> errors = new ArrayList<>();
        String webhook = query.get("webhook");
        if (webhook != null) {
            validator.checkWebhook(webhook, errors);
        }
        String idemKey = req.header("idempotency-key");
        if (idemKey != null && !IDEMPOTENCY_KEY.matcher(idemKey).matches()) {
            errors.add(new FieldError("Idempotency-Key", "must be 1 to 255 printable ASCII characters"));
        }
        PredictionRequest request = null;
        try {
            request = validator.validate(kind, Json.parse(body));
        } catch (Json.InvalidJsonException e) {
            errors.add(0, new FieldError("body", "is not valid JSON: " + e.getMessage()));
        } catch (InvalidRequestException e) {
            errors.addAll(0, e.errors());
        }
        if (!errors.isEmpty()) {
            throw ApiException.invalid(errors);
        }
        // Stored already claimed for its first submit: the poller leaves it alone while this request submits it.
        Prediction p = Prediction.accepted(ids.next(), key.keyId(), request, webhook, started).withKeyHash(key.hash())
                .claimedForSubmit(pipeline.owner(), started.plus(Lifecycle.SUBMIT_LEASE));
        IdempotencyClaim claim = idemKey == null ? null : new IdempotencyClaim(key.keyId(), idemKey,
                KeyMaterial.sha256Hex(kind.code() + "\n" + Json.write(request.toJson()) + "\n" + webhook));
        long cost = pipeline.costOf(p);
        if (key.prepaid()) {
            if (!keys.reserve(key, cost)) {
                throw new ApiException(402, "insufficient balance: this request costs " + Pipeline.usd(cost)
                        + "; add credit to the key (./foley keys credit) or use a shorter duration");
            }
            p = p.withReservation(cost);
        }
        PredictionStore.Created created;
        try {
            created = store.create(p, claim);
        } catch (IdempotencyConflictException e) {
            refundIfReserved(p);
            throw new ApiException(422, "Idempotency-Key was already used with a different request; "
                    + "use a new key for a new request");
        } catch (RuntimeException e) {
            refundIfReserved(p);
            throw e;
        }
        if (created instanceof PredictionStore.Created.Replayed) {
            refundIfReserved(p); // the original holds its own reservation
            return FoleyApi.ok(view(created.prediction(), base));
        }
        // Providers can push to the URL this request came in on, when it is a public one (a deployed
        // stack's own API URL); locally they are polled.
        Prediction now = dispatch(p, pushBase ? Optional.of(base) : Optional.empty(),
                Deadline.at(clock, started.plus(SUBMIT_BUDGET)));
        if (request.enableSyncMode() && !now.phase().terminal()) {
            return FoleyApi.ok(sync(now, base, Deadline.at(clock, started.plus(syncWait))));
        }
        return FoleyApi.ok(view(now, base));
    }

    /** Hands a new prediction to its provider. It is stored already: whatever happens here, the poller can carry on. */
    private Prediction dispatch(Prediction p, Optional<String> callbackBase, Deadline until) {
        try {
            return pipeline.submitClaimed(p, callbackBase, until);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "submitting prediction " + p.id() + " to its provider failed; the poller will retry", e);
            return p;
        }
    }

    /**
     * Sync mode: the prediction's own steps (status checks at their due times, completion inline)
     * run on a worker thread until it ends or {@code end} (counted from the request's start) passes;
     * this thread answers by then whatever the worker is doing (every call the worker makes is
     * bounded by {@code end} too). It sleeps until each next due time: no tight loop on the table. On
     * time-out, the hosted API's answer: processing, "Sync mode timed out".
     */
    private ObjectNode sync(Prediction p, String base, Deadline end) {
        CompletableFuture<Prediction> worker = CompletableFuture.supplyAsync(() -> syncSteps(p, end), SYNC_THREADS);
        Prediction current;
        try {
            current = worker.get(Math.max(1, end.remaining().toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            current = reread(p);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            current = p;
        } catch (ExecutionException e) {
            // The prediction is stored and the poller carries on: answer with where it is now.
            LOG.log(Level.ERROR, "sync wait for " + p.id() + " stopped early", e.getCause());
            current = reread(p);
        }
        ObjectNode data = view(current, base);
        if (!current.phase().terminal()) {
            data.put("status", "processing");
            data.put("error", "Sync mode timed out after " + syncWait.toSeconds() + " s; the prediction goes on: query "
                    + data.at("/urls/get").asText());
        }
        return data;
    }

    private static final java.util.concurrent.Executor SYNC_THREADS = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();

    private Prediction syncSteps(Prediction p, Deadline end) {
        Prediction current = p;
        try {
            while (!current.phase().terminal() && !end.passed()) {
                current = pipeline.advance(current, Pipeline.Mode.REQUEST, end);
                if (current.phase().terminal()) {
                    break;
                }
                Instant now = clock.instant();
                // Someone else holds the step (completion copying the outputs, say): look again shortly.
                Instant due = current.leasedAt(now) || current.dueAt() == null ? now.plusMillis(200) : current.dueAt();
                if (!due.isBefore(end.at())) {
                    break;
                }
                if (due.isAfter(now)) {
                    Thread.sleep(Math.max(1, Duration.between(now, due).toMillis()));
                }
                current = reread(current);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return current;
    }

    private Prediction reread(Prediction p) {
        try {
            return store.get(p.id()).orElse(p);
        } catch (RuntimeException e) {
            return p;
        }
    }

    private ObjectNode view(Prediction p, String base) {
        return PredictionView.data(p, base, pipeline.outputs()::links);
    }

    private void refundIfReserved(Prediction p) {
        if (p.reservedMicroUsd() > 0) {
            try {
                keys.refund(p.keyHash(), p.reservedMicroUsd());
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "could not refund the reservation of a prediction that was not stored", e);
            }
        }
    }

    private static boolean isJson(String contentType) {
        String t = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        return t.equals("application/json") || (t.startsWith("application/") && t.endsWith("+json"));
    }

}
