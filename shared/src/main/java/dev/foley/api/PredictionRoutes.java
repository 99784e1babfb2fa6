package dev.foley.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.key.ApiKey;
import dev.foley.json.Json;
import dev.foley.pipeline.Pipeline;
import dev.foley.prediction.FieldError;
import dev.foley.prediction.IdGenerator;
import dev.foley.prediction.Prediction;
import dev.foley.store.PredictionStore;
import dev.foley.store.StoreUnavailableException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import dev.foley.view.PredictionView;

/** Reading, listing, cancelling and deleting a key's predictions; the hosted API's paged history. */
public final class PredictionRoutes {

    /** The history serves at most this many predictions deep (page × page_size); narrow by time for older ones. */
    static final int HISTORY_DEPTH = 10_000;

    private final PredictionStore store;
    private final Pipeline pipeline;
    private final PredictionView.OutputLinks links;
    private final java.util.function.Consumer<Prediction> forgetOutputs;
    private final java.time.Clock clock;

    public PredictionRoutes(PredictionStore store, Pipeline pipeline, PredictionView.OutputLinks links,
            java.util.function.Consumer<Prediction> forgetOutputs, java.time.Clock clock) {
        this.store = store;
        this.pipeline = pipeline;
        this.links = links;
        this.forgetOutputs = forgetOutputs;
        this.clock = clock;
    }

    ApiResponse get(String id, ApiKey key, String base) throws ApiException {
        return FoleyApi.ok(PredictionView.data(owned(id, key), base, links));
    }

    ApiResponse list(ApiRequest req, ApiKey key, String base) throws ApiException {
        Map<String, String> query = QueryString.parse(req.rawQuery());
        int limit = 20;
        String rawLimit = query.get("limit");
        if (rawLimit != null) {
            try {
                limit = Integer.parseInt(rawLimit);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > 100) {
                throw ApiException.invalid(List.of(new FieldError("limit",
                        "must be an integer between 1 and 100, got " + FoleyApi.shorten(rawLimit, 20))));
            }
        }
        String cursor = query.get("cursor");
        PredictionStore.Page page;
        try {
            page = store.list(key.keyId(), limit, cursor == null || cursor.isEmpty() ? null : cursor);
        } catch (PredictionStore.InvalidCursorException e) {
            throw ApiException.invalid(List.of(new FieldError("cursor", "is not a cursor this API returned")));
        }
        ObjectNode data = Json.object();
        ArrayNode items = data.putArray("items");
        for (Prediction p : page.items()) {
            items.add(item(p, base));
        }
        if (page.nextCursor().isPresent()) {
            data.put("next_cursor", page.nextCursor().get());
        } else {
            data.putNull("next_cursor");
        }
        return FoleyApi.ok(data);
    }

    ApiResponse cancel(String id, ApiKey key, String base) throws ApiException {
        for (int attempt = 0; attempt < 5; attempt++) {
            Prediction p = owned(id, key);
            if (p.phase().terminal()) {
                throw new ApiException(409, "prediction " + id + " is already " + p.phase().status()
                        + " and cannot be cancelled");
            }
            Optional<Prediction> moved = pipeline.cancel(p);
            if (moved.isPresent()) {
                return FoleyApi.ok(PredictionView.data(moved.get(), base, links));
            }
            // Someone else moved it meanwhile (the poller, a callback): look again.
        }
        throw new StoreUnavailableException("cancel kept losing races for " + id, null);
    }

    private ObjectNode item(Prediction p, String base) {
        ObjectNode item = PredictionView.dataWithInput(p, base, links);
        item.put("cost_usd", p.chargeMicroUsd() / 1e6);
        return item;
    }

    /**
     * {@code DELETE /api/v3/predictions/{id}}, as the hosted API's delete: the prediction leaves the
     * key's history (a later GET is a 404) and its output files are removed. One still running is
     * cancelled first, so it is never charged; a finished one keeps its bill.
     */
    ApiResponse delete(String id, ApiKey key, String base) throws ApiException {
        for (int attempt = 0; attempt < 5; attempt++) {
            Prediction p = owned(id, key);
            String was = p.phase().status();
            boolean wasRunning = !p.phase().terminal();
            if (wasRunning) {
                Optional<Prediction> cancelled = pipeline.cancel(p);
                if (cancelled.isEmpty()) {
                    continue; // someone moved it meanwhile (the poller, a callback): look again
                }
                p = cancelled.get();
            }
            if (!store.markDeleted(id, clock.instant())) {
                throw new ApiException(404, "prediction " + FoleyApi.shorten(id, 64) + " not found");
            }
            forgetOutputs.accept(p);
            ObjectNode d = Json.object();
            d.put("id", p.id());
            d.put("model", p.request().path());
            d.put("status", "deleted");
            d.put("status_before", was);
            d.put("cancelled", wasRunning); // stopped by this delete (and so not charged)
            d.put("cost_usd", p.chargeMicroUsd() / 1e6);
            return FoleyApi.ok(d);
        }
        throw new StoreUnavailableException("delete kept losing races for " + id, null);
    }

    static final java.util.Set<String> HISTORY_FIELDS = java.util.Set.of("page", "page_size", "model", "status", "created_after",
            "created_before");
    static final List<String> STATUSES = List.of("created", "processing", "completed", "failed", "cancelled");

    /**
     * {@code POST /api/v3/predictions {page, page_size, model?, status?, created_after?, created_before?}}:
     * the hosted API's history, newest first, {@code data: {page, page_size, items, has_more}}.
     */
    ApiResponse history(ApiRequest req, ApiKey key, String base) throws ApiException {
        List<FieldError> errors = new java.util.ArrayList<>();
        ObjectNode q = JsonBody.object(req, 4096, "{page, page_size, model, status, created_after, created_before}",
                HISTORY_FIELDS, true, errors);
        Long page = q.has("page") ? JsonBody.integer(q.get("page"), "page", 1, HISTORY_DEPTH, "", "must be an integer of at least 1", errors) : Long.valueOf(1);
        Long size = q.has("page_size") ? JsonBody.integer(q.get("page_size"), "page_size", 1, 100, "", "must be an integer between 1 and 100", errors) : Long.valueOf(20);
        String model = text(q, "model", errors);
        List<String> paths = FoleyApi.SUBMITS.keySet().stream().map(pth -> pth.substring("/api/v3/".length())).toList();
        if (model != null && !paths.contains(model)) {
            errors.add(new FieldError("model", "must be one of " + String.join(", ", paths) + ", got " + FoleyApi.shorten(model, 64)));
        }
        String status = text(q, "status", errors);
        if (status != null && !STATUSES.contains(status)) {
            errors.add(new FieldError("status", "must be one of " + String.join(", ", STATUSES) + ", got " + FoleyApi.shorten(status, 32)));
        }
        java.time.Instant after = time(q, "created_after", java.time.Instant.EPOCH, errors);
        java.time.Instant before = time(q, "created_before", java.time.Instant.ofEpochMilli(Long.MAX_VALUE / 2), errors);
        if (errors.isEmpty() && after.isAfter(before)) {
            errors.add(new FieldError("created_after", "must not be after created_before"));
        }
        if (errors.isEmpty() && page * size > HISTORY_DEPTH) { // both at most 10,000 here: no overflow
            errors.add(new FieldError("page", "page × page_size must be at most " + HISTORY_DEPTH
                    + "; for older predictions narrow the range with created_before"));
        }
        if (!errors.isEmpty()) {
            throw ApiException.invalid(errors);
        }
        PredictionStore.HistoryPage found = store.history(key.keyId(), after, before,
                p -> (model == null || p.request().path().equals(model)) && (status == null || p.phase().status().equals(status)),
                (int) ((page - 1) * size), size.intValue());
        ObjectNode data = Json.object();
        data.put("page", page);
        data.put("page_size", size);
        ArrayNode items = data.putArray("items");
        for (Prediction p : found.items()) {
            items.add(item(p, base));
        }
        data.put("has_more", found.more());
        return FoleyApi.ok(data);
    }

    private static String text(ObjectNode q, String field, List<FieldError> errors) {
        com.fasterxml.jackson.databind.JsonNode v = q.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            errors.add(new FieldError(field, "must be a string, got " + FoleyApi.shorten(v.toString(), 40)));
            return null;
        }
        return v.asText();
    }

    /** An RFC 3339 time ({@code 2026-12-01T10:00:00Z}) or a UTC date ({@code 2026-12-01}, its start). */
    private static java.time.Instant time(ObjectNode q, String field, java.time.Instant dflt, List<FieldError> errors) {
        String v = text(q, field, errors);
        if (v == null) {
            return dflt;
        }
        try {
            return v.length() == 10 ? java.time.LocalDate.parse(v).atStartOfDay(java.time.ZoneOffset.UTC).toInstant()
                    : java.time.OffsetDateTime.parse(v).toInstant();
        } catch (java.time.format.DateTimeParseException e) {
            errors.add(new FieldError(field, "must be a time like 2026-12-01T10:00:00Z or a date like 2026-12-01, got "
                    + FoleyApi.shorten(v, 40)));
            return dflt;
        }
    }

    /** The prediction if it exists and belongs to this key; 404 alike for both, so ids leak nothing. */
    Prediction owned(String id, ApiKey key) throws ApiException {
        if (IdGenerator.looksLikeId(id)) {
            Optional<Prediction> p = store.getShown(id);
            if (p.isPresent() && p.get().keyId().equals(key.keyId())) {
                return p.get();
            }
        }
        throw new ApiException(404, "prediction " + FoleyApi.shorten(id, 64) + " not found");
    }
}
