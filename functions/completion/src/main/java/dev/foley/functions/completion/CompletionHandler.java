package dev.foley.functions.completion;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.foley.Foley;
import dev.foley.pipeline.Pipeline;
import dev.foley.prediction.IdGenerator;
import dev.foley.prediction.Prediction;
import java.util.Map;
import org.crac.Core;
import org.crac.Resource;

/**
 * Invoked asynchronously with {@code {"prediction_id": "<id>"}}: does everything due for that
 * prediction now, off any request path: copies the provider's outputs into the outputs bucket,
 * completes and charges once, stops jobs that should not run on, sends the webhook (one claimed
 * attempt). Idempotent: a retried invoke finds nothing due and does nothing.
 */
public final class CompletionHandler implements RequestHandler<Map<String, Object>, String>, Resource {

    private final Pipeline pipeline;

    public CompletionHandler() {
        this(Foley.fromEnvironment(System.getenv()).pipeline());
        Core.getGlobalContext().register(this);
    }

    public CompletionHandler(Pipeline pipeline) {
        this.pipeline = pipeline;
    }

    @Override
    public String handleRequest(Map<String, Object> event, Context context) {
        // Every line this invocation logs carries its Lambda request id (and, for the API, API Gateway's).
        try (var scope = dev.foley.obs.Log.invocation(context == null ? null : context.getAwsRequestId(), null)) {
            return handle(event, context);
        }
    }

    private String handle(Map<String, Object> event, Context context) {
        Object id = event == null ? null : event.get("prediction_id");
        if (!(id instanceof String s) || !IdGenerator.looksLikeWorkId(s)) {
            // Nothing to retry: a malformed event would fail the same way every time.
            return "{\"ignored\":\"no valid prediction_id\"}";
        }
        Prediction p = pipeline.runToRest(s);
        return p == null ? "{\"ignored\":\"unknown prediction\"}" : "{\"status\":\"" + p.phase().status() + "\"}";
    }

    @Override
    public void beforeCheckpoint(org.crac.Context<? extends Resource> context) {
        try {
            pipeline.runToRest("00000000000000000000000000000000"); // a read that finds nothing
        } catch (RuntimeException ignored) {
            // best effort
        }
    }

    @Override
    public void afterRestore(org.crac.Context<? extends Resource> context) {
        // nothing captured at init
    }
}
