package dev.foley.aws;

import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Runs work off the request path in the completion function: an asynchronous invoke
 * ({@code POST /2015-03-31/functions/<name>/invocations}, {@code X-Amz-Invocation-Type: Event})
 * with {@code {"prediction_id": "<id>"}}, signed by {@link SignedHttp}. If the invoke itself fails,
 * the prediction stays due, and the poller hands it over again. (The pipeline sees it as its
 * {@code CompletionTrigger}; {@code aws} depends on nothing above it.)
 */
public final class LambdaCompletionTrigger {

    private static final dev.foley.obs.Log.Logger LOG = dev.foley.obs.Log.logger("foley.completion");

    private final AwsClients clients;
    private final String function;

    public LambdaCompletionTrigger(AwsClients clients, String function) {
        this.clients = clients;
        this.function = function;
    }

    public void trigger(String predictionId) {
        try {
            SignedHttp.Answer a = invoke(predictionId);
            if (!a.ok()) {
                LOG.log(Level.WARNING, "could not invoke completion for {0} (the poller will retry): Lambda answered {1}: {2}",
                        predictionId, a.status(), a.text());
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not invoke completion for {0} (the poller will retry): {1}", predictionId, e.getMessage());
        }
    }

    /** The invoke itself: Lambda answers 202 when it has queued the event. */
    public SignedHttp.Answer invoke(String predictionId) {
        URI uri = URI.create(clients.lambdaEndpoint().toString().replaceAll("/+$", "") + "/2015-03-31/functions/"
                + URLEncoder.encode(function, StandardCharsets.UTF_8) + "/invocations");
        byte[] body = ("{\"prediction_id\":\"" + predictionId + "\"}").getBytes(StandardCharsets.UTF_8);
        return clients.signed().send("lambda", "POST", uri,
                Map.of("X-Amz-Invocation-Type", "Event", "Content-Type", "application/json"), body);
    }
}
