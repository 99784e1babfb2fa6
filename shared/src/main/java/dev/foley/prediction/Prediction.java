package dev.foley.prediction;

import java.time.Instant;
import java.util.List;

/**
 * A prediction as stored: who asked, what they asked for, where it is in its life. The provider
 * job ({@code job}, null until submitted) and the log of provider attempts are kept here and never
 * shown to the client.
 */
public record Prediction(
        String id,
        String keyId,
        PredictionRequest request,
        String webhook,
        Phase phase,
        long version,
        Instant createdAt,
        Instant updatedAt,
        List<String> outputs,
        List<Boolean> nsfw,
        String error,
        long inferenceMs,
        dev.foley.provider.ProviderJob job,
        List<String> attempts) {

    public Prediction {
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
        nsfw = nsfw == null ? List.of() : List.copyOf(nsfw);
        error = error == null ? "" : error;
        attempts = attempts == null ? List.of() : List.copyOf(attempts);
    }

    /** A new prediction, just accepted. */
    public static Prediction accepted(String id, String keyId, PredictionRequest request, String webhook, Instant now) {
        return new Prediction(id, keyId, request, webhook, Phase.ACCEPTED, 1, now, now,
                List.of(), List.of(), "", 0, null, List.of());
    }

    public Kind kind() {
        return request.kind();
    }
}
