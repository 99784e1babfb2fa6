package dev.foley.pipeline;

import static software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromN;
import static software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.api.PredictionView;
import dev.foley.auth.ApiKey;
import dev.foley.json.Json;
import dev.foley.net.PinnedHttp;
import dev.foley.prediction.Prediction;
import dev.foley.provider.WebhookSignatures;
import dev.foley.store.ApiKeyStore;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Sends a finished prediction to its client's webhook, as the hosted API does: the bare
 * {@code data} object with {@code input} added, signed with the key's secret in the key's scheme
 * ({@code wavespeed}: {@code v3,<hex>} with the secret's text as key; {@code standard}: Standard
 * Webhooks, {@code v1,<base64>}). The {@code webhook-id} is the same on every attempt, so receivers
 * can drop duplicates. Each attempt is recorded ({@code P#<id>} / {@code W#<n>}).
 */
public final class WebhookSender {

    /** When to try again after attempt n (1-based) failed; after the last, give up. */
    public static final List<Duration> SCHEDULE = List.of(Duration.ofSeconds(5), Duration.ofSeconds(30),
            Duration.ofMinutes(2), Duration.ofMinutes(10), Duration.ofMinutes(30), Duration.ofHours(2), Duration.ofHours(6));
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** The attempt's outcome and, if it failed, when to try again (empty: give up). */
    public record Delivery(PinnedHttp.Result result, Optional<Duration> retryIn) {
    }

    private final PinnedHttp http;
    private final ApiKeyStore keys;
    private final DynamoDbClient dynamo;
    private final String table;
    private final Clock clock;
    private final PredictionView.OutputLinks links;
    private final String publicBaseUrl;
    private final Duration retention;

    public WebhookSender(PinnedHttp http, ApiKeyStore keys, DynamoDbClient dynamo, String table, Clock clock,
            PredictionView.OutputLinks links, String publicBaseUrl, Duration retention) {
        this.http = http;
        this.keys = keys;
        this.dynamo = dynamo;
        this.table = table;
        this.clock = clock;
        this.links = links;
        this.publicBaseUrl = publicBaseUrl;
        this.retention = retention;
    }

    /**
     * Whether this process knows the public base URL a webhook's {@code urls.get} needs. The API
     * function of a stack without {@code PublicBaseUrl} does not (its own URL would be a circular
     * reference in the template); it leaves delivery to the poller, which does.
     */
    public boolean knowsBaseUrl() {
        return !publicBaseUrl.isEmpty();
    }

    public static String messageId(Prediction p) {
        return "msg_" + p.id();
    }

    /** One attempt at delivering {@code p} (terminal, with a webhook). */
    public Delivery deliver(Prediction p) {
        ObjectNode data = PredictionView.dataWithInput(p, publicBaseUrl, links);
        byte[] body = Json.write(data).getBytes(StandardCharsets.UTF_8);
        Optional<ApiKey> key = (p.keyHash() != null ? keys.findByHash(p.keyHash()) : keys.byId(p.keyId()))
                .map(keys::withWebhookSecret);
        int attempt = p.webhookAttempts() + 1;
        PinnedHttp.Result r;
        if (key.isEmpty()) {
            r = new PinnedHttp.Result(0, 0, "the prediction's API key no longer exists", "");
        } else {
            long ts = clock.instant().getEpochSecond();
            String id = messageId(p);
            String signature = ApiKey.STANDARD.equals(key.get().webhookScheme())
                    ? WebhookSignatures.standardSign(key.get().webhookSecret(), id, ts, body)
                    : WebhookSignatures.wavespeedSign(key.get().webhookSecret(), id, ts, body);
            r = http.post(URI.create(p.webhook()), Map.of("webhook-id", id, "webhook-timestamp", Long.toString(ts),
                    "webhook-signature", signature), body, TIMEOUT);
        }
        record(p, attempt, r);
        Optional<Duration> retry = r.ok() || attempt > SCHEDULE.size() || key.isEmpty()
                ? Optional.empty() : Optional.of(SCHEDULE.get(attempt - 1));
        return new Delivery(r, retry);
    }

    private void record(Prediction p, int attempt, PinnedHttp.Result r) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("PK", fromS("P#" + p.id()));
        item.put("SK", fromS(String.format("W#%03d", attempt)));
        item.put("at", fromN(Long.toString(clock.instant().toEpochMilli())));
        item.put("url_host", fromS(String.valueOf(URI.create(p.webhook()).getHost())));
        item.put("status", fromN(Integer.toString(r.status())));
        item.put("latency_ms", fromN(Long.toString(r.latencyMs())));
        if (!r.error().isEmpty()) {
            item.put("error", fromS(r.error()));
        }
        item.put("expires_at", fromN(Long.toString(clock.instant().plus(retention).getEpochSecond())));
        try {
            dynamo.putItem(b -> b.tableName(table).item(item));
        } catch (RuntimeException e) {
            // The record is for operators; losing one never blocks a delivery.
        }
    }
}
