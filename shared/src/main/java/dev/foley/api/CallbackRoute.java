package dev.foley.api;

import dev.foley.pipeline.Pipeline;
import dev.foley.prediction.IdGenerator;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.provider.InferenceProvider;
import dev.foley.provider.InvalidCallbackException;
import dev.foley.provider.JobUpdate;
import dev.foley.provider.ProviderException;
import java.lang.System.Logger.Level;
import java.util.Optional;

/**
 * {@code POST /internal/callbacks/{provider}/{id}}: a provider pushing a job's result. The
 * provider's signature is checked (forged and stale ones are 401s), then the same transition a
 * status check would make is applied, so completion does not wait for the next poll. Duplicates
 * are harmless (the transition's condition no longer holds). A callback for another job than the
 * one stored is an orphan of a retried submit: it is cancelled at the provider.
 */
public final class CallbackRoute {

    static final int MAX_BODY = 1024 * 1024;
    private static final System.Logger LOG = System.getLogger("foley.callbacks");

    private final Pipeline pipeline;

    public CallbackRoute(Pipeline pipeline) {
        this.pipeline = pipeline;
    }

    ApiResponse handle(String providerName, String id, ApiRequest req) throws ApiException {
        Optional<InferenceProvider> provider = pipeline.providers().byName(providerName);
        if (provider.isEmpty() || !IdGenerator.looksLikeId(id)) {
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
        Prediction p = pipeline.store().get(id).orElseThrow(() -> new ApiException(404, "no such prediction"));
        if (p.job() == null || !p.job().provider().equals(providerName) || !p.job().id().equals(update.jobId())) {
            // Not the job we track: an orphan (a submit that timed out after creating it). Stop it.
            try {
                provider.get().cancel(new dev.foley.provider.ProviderJob(providerName, update.jobId(), java.util.Map.of()));
            } catch (ProviderException | RuntimeException e) {
                LOG.log(Level.WARNING, "could not cancel orphan job {0}: {1}", update.jobId(), e.getMessage());
            }
            return ApiResponse.json(200, "{\"ok\":true,\"ignored\":\"not the job this prediction tracks\"}");
        }
        if (p.phase() == Phase.SUBMITTED) {
            pipeline.apply(p, update.status());
        }
        return ApiResponse.json(200, "{\"ok\":true}");
    }
}
