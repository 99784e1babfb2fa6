package dev.foley.api;

import dev.foley.pipeline.Pipeline;
import dev.foley.provider.ProviderChain;
import dev.foley.store.PredictionStore;
import dev.foley.prediction.IdGenerator;
import dev.foley.prediction.Prediction;
import dev.foley.provider.InferenceProvider;
import dev.foley.provider.InvalidCallbackException;
import dev.foley.provider.JobUpdate;
import java.lang.System.Logger.Level;
import java.util.Optional;

/**
 * {@code POST /internal/callbacks/{provider}/{id}}: a provider pushing a job's result. The
 * provider's signature is checked (forged and stale ones are 401s), then the same transition a
 * status check would make is applied, so completion does not wait for the next poll. Duplicates
 * are harmless (the transition's condition no longer holds). A callback for a job the prediction
 * does not track is adopted if the prediction still waits for a submit's answer, and otherwise
 * recorded as an orphan (stopped at the provider if it still runs): see {@link Pipeline#onCallback}.
 */
public final class CallbackRoute {

    static final int MAX_BODY = 1024 * 1024;
    private static final dev.foley.obs.Log.Logger LOG = dev.foley.obs.Log.logger("foley.callbacks");

    private final ProviderChain providers;
    private final PredictionStore store;
    private final Pipeline pipeline;

    public CallbackRoute(ProviderChain providers, PredictionStore store, Pipeline pipeline) {
        this.providers = providers;
        this.store = store;
        this.pipeline = pipeline;
    }

    ApiResponse handle(String providerName, String id, ApiRequest req) throws ApiException {
        Optional<InferenceProvider> provider = providers.byName(providerName);
        if (provider.isEmpty() || !IdGenerator.looksLikeWorkId(id)) {
            throw new ApiException(404, "no such callback");
        }
        byte[] body = req.body() == null ? new byte[0] : req.body();
        if (body.length > MAX_BODY) {
            throw new ApiException(413, "callback body too large");
        }
        JobUpdate update;
        try {
            update = provider.get().verifyCallback(req.headers(), body);
        } catch (InvalidCallbackException e) {
            LOG.log(Level.WARNING, "refused a {0} callback for {1}: {2}", providerName, id, e.getMessage());
            throw new ApiException(401, "callback refused: " + e.getMessage());
        }
        Prediction p = store.get(id).orElseThrow(() -> new ApiException(404, "no such prediction"));
        Pipeline.CallbackOutcome outcome = pipeline.onCallback(p, provider.get(), update);
        if (outcome == Pipeline.CallbackOutcome.ORPHAN || outcome == Pipeline.CallbackOutcome.IGNORED) {
            return ApiResponse.json(200, "{\"ok\":true,\"ignored\":\"not the job this prediction tracks\"}");
        }
        return ApiResponse.json(200, "{\"ok\":true}");
    }
}
