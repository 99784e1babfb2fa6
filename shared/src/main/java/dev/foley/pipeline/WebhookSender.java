package dev.foley.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.view.PredictionView;
import dev.foley.key.ApiKey;
import dev.foley.json.Json;
import dev.foley.net.PinnedHttp;
import dev.foley.prediction.Prediction;
import dev.foley.provider.WebhookSignatures;
import dev.foley.store.ApiKeyStore;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Sends a finished prediction to its client's webhook, as the hosted API does: the bare
 * {@code data} object with {@code input} added, signed with the key's secret in the key's scheme
 * ({@code wavespeed}: {@code v3,<hex>} with the secret's text as key; {@code standard}: Standard
 * Webhooks, {@code v1,<base64>}). The {@code webhook-id} is the same on every attempt, so receivers
 * can drop duplicates. One call is one attempt; the pipeline claims it before and records it after.
 */
public final class WebhookSender {

    static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** One attempt: what the receiver said, and whether trying again can help. */
    public record Attempt(PinnedHttp.Result result, boolean retryable) {
    }

    private final PinnedHttp http;
    private final ApiKeyStore keys;
    private final Clock clock;
    private final PredictionView.OutputLinks links;
    private final String publicBaseUrl;

    public WebhookSender(PinnedHttp http, ApiKeyStore keys, Clock clock, PredictionView.OutputLinks links, String publicBaseUrl) {
        this.http = http;
        this.keys = keys;
        this.clock = clock;
        this.links = links;
        this.publicBaseUrl = publicBaseUrl;
    }

    /**
     * One id per outcome told: {@code msg_<id>} for a completed prediction, {@code msg_<id>_failed}
     * (or {@code _cancelled}) otherwise, so a prediction failed and then adopted again by a late
     * callback tells its completion under a new id (receivers that drop repeated ids still hear it).
     */
    public static String messageId(Prediction p) {
        return "msg_" + p.id() + (p.phase() == dev.foley.prediction.Phase.COMPLETED ? "" : "_" + p.phase().code());
    }

    /** One attempt at delivering {@code p} (finished, with a webhook). */
    public Attempt deliver(Prediction p) {
        ObjectNode data = PredictionView.dataWithInput(p, publicBaseUrl, links);
        byte[] body = Json.write(data).getBytes(StandardCharsets.UTF_8);
        Optional<ApiKey> key = (p.keyHash() != null ? keys.findByHash(p.keyHash()) : keys.byId(p.keyId()))
                .map(keys::withWebhookSecret);
        if (key.isEmpty()) {
            return new Attempt(new PinnedHttp.Result(0, 0, "the prediction's API key no longer exists", ""), false);
        }
        long ts = clock.instant().getEpochSecond();
        String id = messageId(p);
        String signature = ApiKey.STANDARD.equals(key.get().webhookScheme())
                ? WebhookSignatures.standardSign(key.get().webhookSecret(), id, ts, body)
                : WebhookSignatures.wavespeedSign(key.get().webhookSecret(), id, ts, body);
        PinnedHttp.Result r = http.post(URI.create(p.webhook()), Map.of("webhook-id", id, "webhook-timestamp", Long.toString(ts),
                "webhook-signature", signature), body, TIMEOUT);
        return new Attempt(r, !r.ok());
    }
}
