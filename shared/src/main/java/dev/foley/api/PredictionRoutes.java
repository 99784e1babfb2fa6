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

/** Reading, listing and cancelling a key's predictions. */
public final class PredictionRoutes {

    private final PredictionStore store;
    private final Pipeline pipeline;
    private final PredictionView.OutputLinks links;

    public PredictionRoutes(PredictionStore store, Pipeline pipeline, PredictionView.OutputLinks links) {
        this.store = store;
        this.pipeline = pipeline;
        this.links = links;
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
            ObjectNode item = PredictionView.dataWithInput(p, base, links);
            item.put("cost_usd", p.chargeMicroUsd() / 1e6);
            items.add(item);
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

    /** The prediction if it exists and belongs to this key; 404 alike for both, so ids leak nothing. */
    Prediction owned(String id, ApiKey key) throws ApiException {
        if (IdGenerator.looksLikeId(id)) {
            Optional<Prediction> p = store.get(id);
            if (p.isPresent() && p.get().keyId().equals(key.keyId())) {
                return p.get();
            }
        }
        throw new ApiException(404, "prediction " + FoleyApi.shorten(id, 64) + " not found");
    }
}
