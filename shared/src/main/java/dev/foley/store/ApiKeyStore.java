package dev.foley.store;

import static dev.foley.store.Attr.bool;
import static dev.foley.store.Attr.flag;
import static dev.foley.store.Attr.n;
import static dev.foley.store.Attr.num;
import static dev.foley.store.Attr.s;
import static dev.foley.store.Attr.str;
import static dev.foley.store.FoleyTable.*;
import static dev.foley.store.PredictionStore.guarded;

import dev.foley.key.ApiKey;
import dev.foley.key.KeyLimits;
import dev.foley.key.KeyMaterial;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

/** API keys in the Foley table, addressed by the SHA-256 of the key. */
public final class ApiKeyStore {

    /** A key just made: the plain key is shown once and never stored. */
    public record NewKey(String plainKey, ApiKey key) {
    }

    // Key items must not carry key_id/created_at: those would put them in the by_key index.
    private final DynamoDbClient dynamo;
    private final String table;
    private final Clock clock;

    public ApiKeyStore(DynamoDbClient dynamo, String table, Clock clock) {
        this.dynamo = dynamo;
        this.table = table;
        this.clock = clock;
    }

    public NewKey create(String name) {
        return create(name, KeyMaterial.newKey(), ApiKey.WAVESPEED, null);
    }

    public NewKey create(String name, String plainKey) {
        return create(name, plainKey, ApiKey.WAVESPEED, null);
    }

    /**
     * Stores a key (a given value: local mode's fixed dev key); an existing one with that value is
     * kept. {@code balanceMicroUsd} makes it prepaid; null is pay-as-you-go.
     */
    public NewKey create(String name, String plainKey, String webhookScheme, Long balanceMicroUsd) {
        return create(name, plainKey, webhookScheme, balanceMicroUsd, KeyLimits.DEFAULTS);
    }

    /** The same, with the key's own limits (unset parts follow the settings' defaults). */
    public NewKey create(String name, String plainKey, String webhookScheme, Long balanceMicroUsd, KeyLimits limits) {
        if (!ApiKey.WAVESPEED.equals(webhookScheme) && !ApiKey.STANDARD.equals(webhookScheme)) {
            throw new IllegalArgumentException("webhook scheme must be wavespeed or standard, got " + webhookScheme);
        }
        String hash = KeyMaterial.sha256Hex(plainKey);
        Optional<ApiKey> existing = findByHash(hash);
        if (existing.isPresent()) {
            return new NewKey(plainKey, existing.get());
        }
        ApiKey key = new ApiKey(KeyMaterial.newKeyId(), name, hash, clock.instant(), false,
                KeyMaterial.newWebhookSecret(), webhookScheme, balanceMicroUsd, limits);
        Map<String, AttributeValue> item = new HashMap<>();
        item.put(PK, s(KEY_PREFIX + hash));
        item.put(SK, s(KEY_SK));
        item.put("id", s(key.keyId()));
        item.put("name", s(name));
        item.put("created_ms", n(key.createdAt().toEpochMilli()));
        item.put("disabled", bool(false));
        item.put("webhook_secret", s(key.webhookSecret()));
        item.put("webhook_scheme", s(key.webhookScheme()));
        if (balanceMicroUsd != null) {
            item.put("balance_micro_usd", n(balanceMicroUsd));
        }
        putLimits(item, limits);
        try {
            guarded(() -> dynamo.putItem(r -> r.tableName(table).item(item)
                    .conditionExpression("attribute_not_exists(PK)")));
        } catch (ConditionalCheckFailedException e) {
            return new NewKey(plainKey, findByHash(hash).orElseThrow());
        }
        return new NewKey(plainKey, key);
    }

    public Optional<ApiKey> findByHash(String hash) {
        Map<String, AttributeValue> item = guarded(() -> dynamo.getItem(r -> r.tableName(table)
                .key(Map.of(PK, s(KEY_PREFIX + hash), SK, s(KEY_SK))))).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(fromItem(item));
    }

    /** Every key, oldest first. An administrative scan: never on a request path. */
    public List<ApiKey> list() {
        List<ApiKey> keys = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            var resp = guarded(() -> dynamo.scan(r -> r.tableName(table)
                    .filterExpression("begins_with(PK, :p) AND SK = :sk")
                    .expressionAttributeValues(Map.of(":p", s(KEY_PREFIX), ":sk", s(KEY_SK)))
                    .exclusiveStartKey(from)));
            resp.items().forEach(i -> keys.add(fromItem(i)));
            start = resp.hasLastEvaluatedKey() && !resp.lastEvaluatedKey().isEmpty() ? resp.lastEvaluatedKey() : null;
        } while (start != null);
        keys.sort(Comparator.comparing(ApiKey::createdAt));
        return keys;
    }

    /** Disables the key with this id; false when there is none. */
    public boolean disable(String keyId) {
        return update(keyId, "SET disabled = :v", bool(true));
    }

    /** Adds credit to a key's prepaid balance (making it prepaid if it was not). */
    public boolean credit(String keyId, long microUsd) {
        return update(keyId, "ADD balance_micro_usd :v", n(microUsd));
    }

    /** One update of the key with this id; false when there is none. */
    private boolean update(String keyId, String expression, AttributeValue value) {
        Optional<ApiKey> k = byId(keyId);
        k.ifPresent(key -> guarded(() -> dynamo.updateItem(r -> r.tableName(table)
                .key(Map.of(PK, s(KEY_PREFIX + key.hash()), SK, s(KEY_SK)))
                .updateExpression(expression)
                .expressionAttributeValues(Map.of(":v", value)))));
        return k.isPresent();
    }

    /**
     * Takes {@code microUsd} from a prepaid key's balance if it holds that much; false (nothing
     * taken) when it does not. Pay-as-you-go keys are never asked.
     */
    public boolean reserve(ApiKey key, long microUsd) {
        try {
            guarded(() -> dynamo.updateItem(r -> r.tableName(table)
                    .key(Map.of(PK, s(KEY_PREFIX + key.hash()), SK, s(KEY_SK)))
                    .updateExpression("SET balance_micro_usd = balance_micro_usd - :c")
                    .conditionExpression("balance_micro_usd >= :c")
                    .expressionAttributeValues(Map.of(":c", n(microUsd)))));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    /** Gives a reservation back (no condition: a refund always lands). */
    public void refund(String keyHash, long microUsd) {
        guarded(() -> dynamo.updateItem(r -> r.tableName(table)
                .key(Map.of(PK, s(KEY_PREFIX + keyHash), SK, s(KEY_SK)))
                .updateExpression("ADD balance_micro_usd :c")
                .expressionAttributeValues(Map.of(":c", n(microUsd)))));
    }

    /** The refund as part of a transaction (it happens exactly when the prediction fails). */
    /** A prepaid key's balance now, read consistently (0 when the key is gone). */
    static long balanceOf(software.amazon.awssdk.services.dynamodb.DynamoDbClient dynamo, String table, String keyHash) {
        Map<String, software.amazon.awssdk.services.dynamodb.model.AttributeValue> item = dynamo.getItem(r -> r.tableName(table)
                .consistentRead(true).key(Map.of(PK, s(KEY_PREFIX + keyHash), SK, s(KEY_SK)))).item();
        return item == null || item.isEmpty() ? 0 : Attr.num(item, "balance_micro_usd", 0);
    }

    /** A reservation taken in a transaction: only while the balance holds it. */
    static software.amazon.awssdk.services.dynamodb.model.TransactWriteItem reserveItem(String table, String keyHash, long microUsd) {
        return software.amazon.awssdk.services.dynamodb.model.TransactWriteItem.builder().update(u -> u.tableName(table)
                .key(Map.of(PK, s(KEY_PREFIX + keyHash), SK, s(KEY_SK)))
                .updateExpression("SET balance_micro_usd = balance_micro_usd - :c")
                .conditionExpression("balance_micro_usd >= :c")
                .expressionAttributeValues(Map.of(":c", n(microUsd)))).build();
    }

    static software.amazon.awssdk.services.dynamodb.model.TransactWriteItem refundItem(String table, String keyHash, long microUsd) {
        return software.amazon.awssdk.services.dynamodb.model.TransactWriteItem.builder().update(u -> u.tableName(table)
                .key(Map.of(PK, s(KEY_PREFIX + keyHash), SK, s(KEY_SK)))
                .updateExpression("ADD balance_micro_usd :c")
                .expressionAttributeValues(Map.of(":c", n(microUsd)))).build();
    }

    /** The key's webhook secret, made now (once, conditionally) for keys stored before secrets existed. */
    public ApiKey withWebhookSecret(ApiKey key) {
        if (key.webhookSecret() != null) {
            return key;
        }
        String secret = KeyMaterial.newWebhookSecret();
        try {
            guarded(() -> dynamo.updateItem(r -> r.tableName(table)
                    .key(Map.of(PK, s(KEY_PREFIX + key.hash()), SK, s(KEY_SK)))
                    .updateExpression("SET webhook_secret = :s")
                    .conditionExpression("attribute_not_exists(webhook_secret)")
                    .expressionAttributeValues(Map.of(":s", s(secret)))));
        } catch (ConditionalCheckFailedException raced) {
            // another writer made one first: use theirs
        }
        return findByHash(key.hash()).orElse(key);
    }

    /** A key by its id (administrative; a scan). */
    public Optional<ApiKey> byId(String keyId) {
        return list().stream().filter(k -> k.keyId().equals(keyId)).findFirst();
    }

    private static ApiKey fromItem(Map<String, AttributeValue> item) {
        String pk = str(item, PK);
        String scheme = str(item, "webhook_scheme");
        return new ApiKey(str(item, "id"), str(item, "name"), pk.substring(KEY_PREFIX.length()),
                Instant.ofEpochMilli(num(item, "created_ms", 0)), flag(item, "disabled"),
                str(item, "webhook_secret"), scheme == null ? ApiKey.WAVESPEED : scheme,
                item.containsKey("balance_micro_usd") ? num(item, "balance_micro_usd", 0) : null,
                new KeyLimits(item.containsKey(RATE_LIMIT) ? (int) num(item, RATE_LIMIT, 0) : null, (int) num(item, RATE_WINDOW, 1),
                        item.containsKey(MAX_IN_FLIGHT) ? (int) num(item, MAX_IN_FLIGHT, 0) : null));
    }

    private static final String RATE_LIMIT = "rate_limit";
    private static final String RATE_WINDOW = "rate_window_s";
    private static final String MAX_IN_FLIGHT = "max_in_flight";

    private static void putLimits(Map<String, AttributeValue> item, KeyLimits limits) {
        if (limits.rate() != null) {
            item.put(RATE_LIMIT, n(limits.rate()));
            item.put(RATE_WINDOW, n(limits.windowSeconds()));
        }
        if (limits.maxInFlight() != null) {
            item.put(MAX_IN_FLIGHT, n(limits.maxInFlight()));
        }
    }

    /** Sets a key's own limits (cached copies follow within the key cache's lifetime); false when there is no such key. */
    public boolean setLimits(String keyId, KeyLimits limits) {
        Optional<ApiKey> k = byId(keyId);
        k.ifPresent(key -> {
            Map<String, String> names = new HashMap<>();
            Map<String, AttributeValue> values = new HashMap<>();
            List<String> sets = new ArrayList<>();
            List<String> removes = new ArrayList<>();
            names.put("#r", RATE_LIMIT);
            names.put("#w", RATE_WINDOW);
            names.put("#m", MAX_IN_FLIGHT);
            if (limits.rate() != null) {
                sets.add("#r = :r");
                sets.add("#w = :w");
                values.put(":r", n(limits.rate()));
                values.put(":w", n(limits.windowSeconds()));
            } else {
                removes.add("#r");
                removes.add("#w");
            }
            if (limits.maxInFlight() != null) {
                sets.add("#m = :m");
                values.put(":m", n(limits.maxInFlight()));
            } else {
                removes.add("#m");
            }
            String expression = (sets.isEmpty() ? "" : "SET " + String.join(", ", sets))
                    + (removes.isEmpty() ? "" : " REMOVE " + String.join(", ", removes));
            guarded(() -> dynamo.updateItem(r -> r.tableName(table).key(Map.of(PK, s(KEY_PREFIX + key.hash()), SK, s(KEY_SK)))
                    .updateExpression(expression.strip()).expressionAttributeNames(names)
                    .expressionAttributeValues(values.isEmpty() ? null : values)));
        });
        return k.isPresent();
    }

    /**
     * Counts one request against the key's rate, in the current window (one conditional write):
     * empty when it is within the rate, else how long until the window ends.
     */
    public Optional<java.time.Duration> takeRequest(ApiKey key, KeyLimits limits) {
        long nowMs = clock.millis();
        long windowMs = limits.windowSeconds() * 1000L;
        long window = nowMs / windowMs;
        try {
            guarded(() -> dynamo.updateItem(r -> r.tableName(table)
                    .key(Map.of(PK, s("R#" + key.keyId()), SK, s("W#" + window)))
                    .updateExpression("ADD #n :one SET expires_at = :exp")
                    .conditionExpression("attribute_not_exists(#n) OR #n < :limit")
                    .expressionAttributeNames(Map.of("#n", "n"))
                    .expressionAttributeValues(Map.of(":one", n(1), ":limit", n(limits.rate()),
                            ":exp", n((window + 1) * windowMs / 1000 + 3600)))));
            return Optional.empty();
        } catch (ConditionalCheckFailedException over) {
            return Optional.of(java.time.Duration.ofMillis((window + 1) * windowMs - nowMs));
        }
    }
}
