package dev.foley.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.admission.Admission;
import dev.foley.json.Json;
import dev.foley.key.ApiKey;
import dev.foley.pipeline.Pipeline;
import dev.foley.prediction.FieldError;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.Pricing;
import dev.foley.store.PredictionStore;
import dev.foley.time.Deadline;
import dev.foley.time.Sleeper;
import dev.foley.view.PredictionView;
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
 * {@code POST /api/v3/wavespeed-ai/mmaudio-v2[/text-to-audio]}: the HTTP side of {@link Admission}
 * (content type, size, the webhook query, the {@code Idempotency-Key} header, and the answer), and,
 * with {@code enable_sync_mode}, driving the prediction to its end for up to 25 s before answering.
 */
public final class SubmitRoute {

    public static final int MAX_BODY_BYTES = 64 * 1024;
    /** The first submit may take this long from the request's start (the API function is cut at 29 s). */
    static final Duration SUBMIT_BUDGET = Duration.ofSeconds(22);
    private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");
    private static final dev.foley.obs.Log.Logger LOG = dev.foley.obs.Log.logger("foley.api");

    private final Admission admission;
    private final PredictionStore store;
    private final Pipeline pipeline;
    private final PredictionView.OutputLinks links;
    private final Clock clock;
    private final Sleeper sleeper;
    private final Optional<String> publicBaseUrl;
    private final Duration syncWait;
    private final boolean pushBase;

    public SubmitRoute(Admission admission, PredictionStore store, Pipeline pipeline, PredictionView.OutputLinks links, Clock clock,
            Sleeper sleeper, Optional<String> publicBaseUrl, Duration syncWait, boolean pushToRequestBase) {
        this.admission = admission;
        this.store = store;
        this.pipeline = pipeline;
        this.links = links;
        this.clock = clock;
        this.sleeper = sleeper;
        this.publicBaseUrl = publicBaseUrl;
        this.syncWait = syncWait;
        this.pushBase = pushToRequestBase;
    }

    Optional<String> publicBaseUrl() {
        return publicBaseUrl;
    }

    ApiResponse handle(ApiRequest req, ApiKey key, Kind kind, String base) throws ApiException {
        return handle(req, key, kind, null, base);
    }

    /** A submit to {@code model} (its id; null: MMAudio v2) at its {@code kind} of path. */
    ApiResponse handle(ApiRequest req, ApiKey key, Kind kind, String model, String base) throws ApiException {
        Instant started = clock.instant();
        requireJson(req);
        byte[] body = req.body() == null ? new byte[0] : req.body();
        if (body.length > MAX_BODY_BYTES) {
            throw new ApiException(413, "body: must be at most " + MAX_BODY_BYTES + " bytes, got " + body.length);
        }
        Map<String, String> query = QueryString.parse(req.rawQuery());
        String webhook = query.get("webhook");
        List<FieldError> headerErrors = new ArrayList<>();
        String idemKey = req.header("idempotency-key");
        if (idemKey != null && !IDEMPOTENCY_KEY.matcher(idemKey).matches()) {
            headerErrors.add(new FieldError("Idempotency-Key", "must be 1 to 255 printable ASCII characters"));
        }
        JsonNode json = null;
        FieldError unreadable = null;
        try {
            json = Json.parse(body);
        } catch (Json.InvalidJsonException e) {
            unreadable = new FieldError("body", "is not valid JSON: " + e.getMessage());
        }
        // Providers can push to the URL this request came in on, when it is a public one (a deployed
        // stack's own API URL); locally they are polled.
        Admission.Outcome outcome = admission.admit(new Admission.Application(kind, json, webhook, key, idemKey, null, unreadable,
                headerErrors, model), pushBase ? Optional.of(base) : Optional.empty(), Deadline.at(clock, started.plus(SUBMIT_BUDGET)));
        return answer(outcome, base, started);
    }

    /**
     * {@code POST /api/v3/predictions/{id}/regenerate}: a new prediction of its own that redoes a
     * stretch of {@code parentId}'s result ({@link Regenerate}), admitted as any other (idempotency,
     * limits, prepaid reservation of the stretch's price), the parent left as it is.
     */
    ApiResponse regenerate(ApiRequest req, ApiKey key, Prediction parent, String base) throws ApiException {
        Instant started = clock.instant();
        requireJson(req);
        byte[] body = req.body() == null ? new byte[0] : req.body();
        if (body.length > MAX_BODY_BYTES) {
            throw new ApiException(413, "body: must be at most " + MAX_BODY_BYTES + " bytes, got " + body.length);
        }
        JsonNode json;
        try {
            json = Json.parse(body);
        } catch (Json.InvalidJsonException e) {
            throw ApiException.invalid(List.of(new FieldError("body", "is not valid JSON: " + e.getMessage())));
        }
        Regenerate.Application r = Regenerate.of(parent, json);
        String idemKey = req.header("idempotency-key");
        List<FieldError> headerErrors = new ArrayList<>();
        if (idemKey != null && !IDEMPOTENCY_KEY.matcher(idemKey).matches()) {
            headerErrors.add(new FieldError("Idempotency-Key", "must be 1 to 255 printable ASCII characters"));
        }
        String webhook = QueryString.parse(req.rawQuery()).get("webhook");
        Admission.Outcome outcome = admission.admit(new Admission.Application(Kind.LONG, r.body(), webhook, key, idemKey, null, null,
                headerErrors, r.model(), r.redo()), pushBase ? Optional.of(base) : Optional.empty(),
                Deadline.at(clock, started.plus(SUBMIT_BUDGET)));
        return answer(outcome, base, started);
    }

    private ApiResponse answer(Admission.Outcome outcome, String base, Instant started) throws ApiException {
        Prediction now = switch (outcome) {
            case Admission.Outcome.Invalid i -> throw ApiException.invalid(i.errors());
            case Admission.Outcome.InsufficientBalance b -> throw new ApiException(402, "insufficient balance: this request costs "
                    + Pricing.usd(b.costMicroUsd()) + "; add credit to the key (./foley keys credit) or use a shorter duration");
            case Admission.Outcome.TooManyInFlight t -> throw new ApiException(429, "too many predictions in flight: this key allows "
                    + t.max() + " at once; submit again when one has finished (or ask for a higher limit)", List.of(),
                    Map.of("retry-after", "5"));
            case Admission.Outcome.IdempotencyConflict c -> throw new ApiException(422,
                    "Idempotency-Key was already used with a different request; use a new key for a new request");
            case Admission.Outcome.Replayed r -> {
                yield r.original();
            }
            case Admission.Outcome.Admitted a -> a.prediction();
        };
        if (outcome instanceof Admission.Outcome.Admitted && now.request().enableSyncMode() && !now.phase().terminal()) {
            return FoleyApi.ok(sync(now, base, started, Deadline.at(clock, started.plus(syncWait))));
        }
        return FoleyApi.ok(view(now, base));
    }

    /**
     * Sync mode: the prediction's own steps (status checks at their due times, completion inline)
     * run on a worker thread until it ends or {@code end} (counted from the request's start) passes;
     * this thread answers by then whatever the worker is doing (every call the worker makes is
     * bounded by {@code end} too). Between steps it looks at the table every half second (a callback
     * or the completion function may finish the prediction first), so it answers as soon as the
     * prediction is final; no tight loop on the table. On time-out, the hosted API's answer:
     * processing, "Sync mode timed out after N s" with the time really waited.
     */
    private ObjectNode sync(Prediction p, String base, Instant started, Deadline end) {
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
            long waited = Math.round(Duration.between(started, clock.instant()).toMillis() / 1000.0);
            data.put("error", "Sync mode timed out after " + waited + " s (the prediction was still " + current.phase().status()
                    + "); it goes on: query " + data.at("/urls/get").asText());
        }
        return data;
    }

    /** How often a sync request looks at its prediction between steps. */
    static final Duration SYNC_LOOK = Duration.ofMillis(500);

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
                // Its next step's time, but a look at the table at least every half second: someone else
                // (a callback, completion copying the outputs) may finish it first.
                Instant due = current.leasedAt(now) || current.dueAt() == null ? now.plusMillis(200) : current.dueAt();
                Instant wake = due.isBefore(now.plus(SYNC_LOOK)) ? due : now.plus(SYNC_LOOK);
                if (!wake.isBefore(end.at())) {
                    wake = end.at();
                }
                sleeper.sleepUntil(wake);
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
        return PredictionView.data(p, base, links);
    }

    /** A JSON body's one rule for its Content-Type (submit and upload tickets alike): JSON, or none (taken as JSON); else 415. */
    static void requireJson(ApiRequest req) throws ApiException {
        String type = req.header("content-type");
        if (type != null && !isJson(type)) {
            throw new ApiException(415, "Content-Type must be application/json, got " + FoleyApi.shorten(type, 80)
                    + " (with curl: -H 'Content-Type: application/json')");
        }
    }

    private static boolean isJson(String contentType) {
        String t = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        return t.equals("application/json") || (t.startsWith("application/") && t.endsWith("+json"));
    }

}
