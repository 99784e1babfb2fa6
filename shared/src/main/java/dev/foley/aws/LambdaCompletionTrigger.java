package dev.foley.aws;

import dev.foley.pipeline.Pipeline;
import java.lang.System.Logger.Level;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;

/**
 * Runs completion in the completion function: an asynchronous invoke with
 * {@code {"prediction_id": "<id>"}}. If the invoke itself fails, the prediction stays
 * {@code upstream_done} and due, and the poller hands it over again.
 */
public final class LambdaCompletionTrigger implements Pipeline.CompletionTrigger {

    private static final System.Logger LOG = System.getLogger("foley.completion");

    private final java.util.function.Supplier<LambdaClient> lambda;
    private final String function;

    public LambdaCompletionTrigger(java.util.function.Supplier<LambdaClient> lambda, String function) {
        this.lambda = lambda;
        this.function = function;
    }

    @Override
    public void trigger(String predictionId) {
        try {
            lambda.get().invoke(r -> r.functionName(function).invocationType(InvocationType.EVENT)
                    .payload(SdkBytes.fromUtf8String("{\"prediction_id\":\"" + predictionId + "\"}")));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not invoke completion for {0} (the poller will retry): {1}",
                    predictionId, e.getMessage());
        }
    }
}
