package dev.foley.store;

import static dev.foley.store.Attr.n;
import static dev.foley.store.Attr.num;
import static dev.foley.store.Attr.s;
import static dev.foley.store.Attr.str;
import static dev.foley.store.FoleyTable.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.json.Json;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.PredictionRequest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/**
 * Predictions (and the idempotency records that point at them) in the Foley table. Every phase
 * change is a conditional write on the current phase and version: of any number of racing
 * writers, exactly one wins.
 */
public final class PredictionStore {

    /** Result of {@link #create}: a new prediction, or the one an earlier identical request made. */
    public sealed interface Created permits Created.New, Created.Replayed {
        Prediction prediction();

        record New(Prediction prediction) implements Created {
        }

        record Replayed(Prediction prediction) implements Created {
        }
    }

    /** An {@code Idempotency-Key} claim: the key's owner, the client's key and a hash of the request. */
    public record IdempotencyClaim(String keyId, String key, String requestHash) {
    }

    /** One page of a key's predictions, newest first. */
    public record Page(List<Prediction> items, Optional<String> nextCursor) {
    }

    private static final Duration IDEMPOTENCY_TTL = Duration.ofHours(24);

    private final DynamoDbClient dynamo;
    private final String table;
    private final Clock clock;
    private final int dueShards;
    private final Duration retention;

    public PredictionStore(DynamoDbClient dynamo, String table, Clock clock, int dueShards, Duration retention) {
        this.dynamo = dynamo;
        this.table = table;
        this.clock = clock;
        this.dueShards = dueShards;
        this.retention = retention;
    }

    /**
     * Stores a new prediction, due now. With a claim, the claim and the prediction are written in
     * one transaction; a repeated claim returns the original prediction, or fails when the request
     * differs.
     */
    public Created create(Prediction p, IdempotencyClaim claim) throws IdempotencyConflictException {
        Map<String, AttributeValue> item = toItem(p);
        item.put(DUE_SHARD, s(shardOf(p.id())));
        item.put(DUE_AT, n(p.createdAt().toEpochMilli()));
        if (claim == null) {
            guarded(() -> dynamo.putItem(r -> r.tableName(table).item(item)
                    .conditionExpression("attribute_not_exists(PK)")));
            return new Created.New(p);
        }
        long nowSeconds = clock.instant().getEpochSecond();
        Map<String, AttributeValue> idem = new HashMap<>();
        idem.put(PK, s(idempotencyPk(claim)));
        idem.put(SK, s(IDEMPOTENCY_SK));
        idem.put("request_hash", s(claim.requestHash()));
        idem.put("prediction_id", s(p.id()));
        idem.put(EXPIRES_AT, n(nowSeconds + IDEMPOTENCY_TTL.toSeconds()));
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                guarded(() -> dynamo.transactWriteItems(r -> r.transactItems(
                        TransactWriteItem.builder().put(Put.builder().tableName(table).item(idem)
                                // TTL deletes lazily: an expired claim counts as absent.
                                .conditionExpression("attribute_not_exists(PK) OR expires_at < :now")
                                .expressionAttributeValues(Map.of(":now", n(nowSeconds))).build()).build(),
                        TransactWriteItem.builder().put(Put.builder().tableName(table).item(item)
                                .conditionExpression("attribute_not_exists(PK)").build()).build())));
                return new Created.New(p);
            } catch (TransactionCanceledException e) {
                Map<String, AttributeValue> existing = guarded(() -> dynamo.getItem(r -> r.tableName(table)
                        .consistentRead(true).key(key(idempotencyPk(claim), IDEMPOTENCY_SK)))).item();
                if (existing == null || existing.isEmpty() || num(existing, EXPIRES_AT, 0) < nowSeconds) {
                    continue; // the claim went away meanwhile: try again
                }
                if (!claim.requestHash().equals(str(existing, "request_hash"))) {
                    throw new IdempotencyConflictException();
                }
                Optional<Prediction> original = get(str(existing, "prediction_id"));
                if (original.isPresent()) {
                    return new Created.Replayed(original.get());
                }
            }
        }
        throw new StoreUnavailableException("could not settle the Idempotency-Key claim", null);
    }

    /** The prediction and when it is next due (empty when not due), read consistently. */
    public Optional<Due> getWithDue(String id) {
        Map<String, AttributeValue> item = guarded(() -> dynamo.getItem(r -> r.tableName(table)
                .consistentRead(true).key(key(PREDICTION_PREFIX + id, PREDICTION_SK)))).item();
        if (item == null || item.isEmpty()) {
            return Optional.empty();
        }
        long due = num(item, DUE_AT, 0);
        return Optional.of(new Due(fromItem(item), due == 0 ? null : Instant.ofEpochMilli(due)));
    }

    public Optional<Prediction> get(String id) {
        Map<String, AttributeValue> item = guarded(() -> dynamo.getItem(r -> r.tableName(table)
                .consistentRead(true).key(key(PREDICTION_PREFIX + id, PREDICTION_SK)))).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(fromItem(item));
    }

    /** The key's predictions, newest first. The cursor is opaque and only valid for the same key. */
    public Page list(String keyId, int limit, String cursor) {
        Map<String, AttributeValue> start = cursor == null ? null : decodeCursor(keyId, cursor);
        QueryResponse resp = guarded(() -> dynamo.query(r -> r.tableName(table).indexName(BY_KEY_INDEX)
                .keyConditionExpression("key_id = :k")
                .expressionAttributeValues(Map.of(":k", s(keyId)))
                .scanIndexForward(false)
                .limit(limit)
                .exclusiveStartKey(start)));
        List<Prediction> items = new ArrayList<>();
        for (Map<String, AttributeValue> item : resp.items()) {
            items.add(fromItem(item));
        }
        Optional<String> next = resp.hasLastEvaluatedKey() && !resp.lastEvaluatedKey().isEmpty()
                ? Optional.of(encodeCursor(resp.lastEvaluatedKey())) : Optional.empty();
        return new Page(items, next);
    }

    /** What a transition changes besides phase and version. */
    public static final class Change {
        final Map<String, AttributeValue> sets = new HashMap<>();
        final Set<String> removes = new LinkedHashSet<>();

        public Change set(String attribute, AttributeValue value) {
            sets.put(attribute, value);
            return this;
        }

        public Change error(String message) {
            return set("error", s(message));
        }

        Instant dueAt;

        /** Keeps (or puts) the prediction in the {@code due} index, due at {@code at}. */
        public Change due(Instant at) {
            dueAt = at;
            removes.remove(DUE_SHARD);
            removes.remove(DUE_AT);
            return this;
        }

        public Change set(String attribute, String value) {
            return set(attribute, s(value));
        }

        public Change set(String attribute, long value) {
            return set(attribute, n(value));
        }

        public Change set(String attribute, List<String> values) {
            return set(attribute, AttributeValue.fromL(values.stream().map(Attr::s).toList()));
        }

        public Change setFlags(String attribute, List<Boolean> values) {
            return set(attribute, AttributeValue.fromL(values.stream().map(Attr::bool).toList()));
        }

        public Change remove(String attribute) {
            removes.add(attribute);
            return this;
        }

        final List<TransactWriteItem> alsoWrite = new ArrayList<>();

        /** Another write that must happen if and only if this transition does (a charge, a refund). */
        public Change alsoWrite(TransactWriteItem item) {
            alsoWrite.add(item);
            return this;
        }

        public Change notDue() {
            dueAt = null;
            removes.add(DUE_SHARD);
            removes.add(DUE_AT);
            return this;
        }
    }

    /**
     * Moves {@code current} to {@code to} if nobody else has moved it since it was read.
     * Returns the new state, or empty when another writer won.
     */
    public Optional<Prediction> transition(Prediction current, Phase to, Change change) {
        Instant now = clock.instant();
        Change c = change == null ? new Change() : change;
        if (to.terminal() && c.dueAt == null) {
            c.notDue(); // finished: out of the due index, unless a webhook delivery is still to come
        }
        if (c.dueAt != null) {
            c.sets.put(DUE_SHARD, s(shardOf(current.id())));
            c.sets.put(DUE_AT, n(c.dueAt.toEpochMilli()));
        }
        Map<String, String> names = new HashMap<>();
        Map<String, AttributeValue> values = new HashMap<>();
        StringBuilder set = new StringBuilder("SET #phase = :to, #version = :next, #updated = :now");
        names.put("#phase", "phase");
        names.put("#version", "version");
        names.put("#updated", "updated_at");
        values.put(":to", s(to.code()));
        values.put(":next", n(current.version() + 1));
        values.put(":now", n(now.toEpochMilli()));
        values.put(":from", s(current.phase().code()));
        values.put(":v", n(current.version()));
        int i = 0;
        for (var e : c.sets.entrySet()) {
            set.append(", #a").append(i).append(" = :a").append(i);
            names.put("#a" + i, e.getKey());
            values.put(":a" + i, e.getValue());
            i++;
        }
        StringBuilder expr = new StringBuilder(set);
        if (!c.removes.isEmpty()) {
            expr.append(" REMOVE ");
            int j = 0;
            for (String r : c.removes) {
                if (c.sets.containsKey(r)) {
                    continue;
                }
                expr.append(j == 0 ? "" : ", ").append("#r").append(j);
                names.put("#r" + j, r);
                j++;
            }
            if (j == 0) {
                expr.setLength(set.length());
            }
        }
        if (!c.alsoWrite.isEmpty()) {
            // With its companion writes, all or nothing: a charge or refund happens exactly when the
            // transition does.
            List<TransactWriteItem> items = new ArrayList<>();
            items.add(TransactWriteItem.builder().update(u -> u.tableName(table)
                    .key(key(PREDICTION_PREFIX + current.id(), PREDICTION_SK))
                    .updateExpression(expr.toString())
                    .conditionExpression("#phase = :from AND #version = :v")
                    .expressionAttributeNames(names)
                    .expressionAttributeValues(values)).build());
            items.addAll(c.alsoWrite);
            try {
                guarded(() -> dynamo.transactWriteItems(r -> r.transactItems(items)));
            } catch (TransactionCanceledException e) {
                return Optional.empty();
            }
            return get(current.id());
        }
        try {
            var resp = guarded(() -> dynamo.updateItem(r -> r.tableName(table)
                    .key(key(PREDICTION_PREFIX + current.id(), PREDICTION_SK))
                    .updateExpression(expr.toString())
                    .conditionExpression("#phase = :from AND #version = :v")
                    .expressionAttributeNames(names)
                    .expressionAttributeValues(values)
                    .returnValues(ReturnValue.ALL_NEW)));
            return Optional.of(fromItem(resp.attributes()));
        } catch (ConditionalCheckFailedException e) {
            return Optional.empty();
        }
    }

    /**
     * One query of the {@code due} index for a shard: predictions due by {@code until}, soonest
     * first. Read from the index (eventually consistent): a stale version only makes a later
     * conditional write lose, never win wrongly.
     */
    public record Due(Prediction prediction, Instant dueAt) {
    }

    public List<Due> due(int shard, Instant until, int limit) {
        QueryResponse resp = guarded(() -> dynamo.query(r -> r.tableName(table).indexName(DUE_INDEX)
                .keyConditionExpression("due_shard = :s AND due_at <= :t")
                .expressionAttributeValues(Map.of(":s", s(Integer.toString(shard)), ":t", n(until.toEpochMilli())))
                .limit(limit)));
        List<Due> out = new ArrayList<>();
        for (Map<String, AttributeValue> item : resp.items()) {
            out.add(new Due(fromItem(item), Instant.ofEpochMilli(num(item, DUE_AT, 0))));
        }
        return out;
    }

    public int dueShards() {
        return dueShards;
    }

    public String table() {
        return table;
    }

    public DynamoDbClient dynamo() {
        return dynamo;
    }

    String shardOf(String id) {
        return Integer.toString(Math.floorMod(id.hashCode(), dueShards));
    }

    private Map<String, AttributeValue> toItem(Prediction p) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put(PK, s(PREDICTION_PREFIX + p.id()));
        item.put(SK, s(PREDICTION_SK));
        item.put("id", s(p.id()));
        item.put(KEY_ID, s(p.keyId()));
        item.put("kind", s(p.kind().code()));
        item.put("input", s(Json.write(p.request().toJson())));
        if (p.webhook() != null) {
            item.put("webhook", s(p.webhook()));
        }
        item.put("phase", s(p.phase().code()));
        item.put("version", n(p.version()));
        item.put(CREATED_AT, n(p.createdAt().toEpochMilli()));
        item.put("updated_at", n(p.updatedAt().toEpochMilli()));
        item.put(EXPIRES_AT, n(p.createdAt().plus(retention).getEpochSecond()));
        if (!p.error().isEmpty()) {
            item.put("error", s(p.error()));
        }
        if (p.keyHash() != null) {
            item.put("key_hash", s(p.keyHash()));
        }
        if (p.ingestKey() != null) {
            item.put("ingest_key", s(p.ingestKey()));
        }
        if (p.reservedMicroUsd() > 0) {
            item.put("reserved_micro_usd", n(p.reservedMicroUsd()));
        }
        return item;
    }

    static Prediction fromItem(Map<String, AttributeValue> item) {
        Kind kind = Kind.fromCode(str(item, "kind"));
        JsonNode input = Json.parse(str(item, "input"));
        List<Boolean> nsfw = new ArrayList<>();
        if (item.containsKey("nsfw") && item.get("nsfw").hasL()) {
            item.get("nsfw").l().forEach(v -> nsfw.add(Boolean.TRUE.equals(v.bool())));
        }
        return new Prediction(
                str(item, "id"),
                str(item, KEY_ID),
                PredictionRequest.fromJson(kind, input),
                str(item, "webhook"),
                Phase.fromCode(str(item, "phase")),
                num(item, "version", 1),
                Instant.ofEpochMilli(num(item, CREATED_AT, 0)),
                Instant.ofEpochMilli(num(item, "updated_at", 0)),
                strings(item, "output_keys"),
                strings(item, "upstream_outputs"),
                nsfw,
                str(item, "error"),
                num(item, "inference_ms", 0),
                item.containsKey("provider_job") ? dev.foley.provider.ProviderJob.fromJson(str(item, "provider_job")) : null,
                strings(item, "attempts"),
                (int) num(item, "checks", 0),
                num(item, "charge_micro_usd", 0),
                num(item, "reserved_micro_usd", 0),
                str(item, "webhook_state"),
                (int) num(item, "webhook_attempts", 0),
                item.containsKey("completed_at") ? Instant.ofEpochMilli(num(item, "completed_at", 0)) : null,
                str(item, "key_hash"),
                str(item, "ingest_key"));
    }

    private static List<String> strings(Map<String, AttributeValue> item, String name) {
        List<String> out = new ArrayList<>();
        if (item.containsKey(name) && item.get(name).hasL()) {
            item.get(name).l().forEach(v -> out.add(v.s()));
        }
        return out;
    }

    private static Map<String, AttributeValue> key(String pk, String sk) {
        return Map.of(PK, s(pk), SK, s(sk));
    }

    private static String idempotencyPk(IdempotencyClaim c) {
        return IDEMPOTENCY_PREFIX + c.keyId() + "#" + c.key();
    }

    private static String encodeCursor(Map<String, AttributeValue> last) {
        String raw = str(last, PK) + "|" + num(last, CREATED_AT, 0);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, AttributeValue> decodeCursor(String keyId, String cursor) {
        String raw;
        try {
            raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new InvalidCursorException();
        }
        int bar = raw.lastIndexOf('|');
        if (bar < 0 || !raw.startsWith(PREDICTION_PREFIX)) {
            throw new InvalidCursorException();
        }
        try {
            long created = Long.parseLong(raw.substring(bar + 1));
            return Map.of(PK, s(raw.substring(0, bar)), SK, s(PREDICTION_SK), KEY_ID, s(keyId), CREATED_AT, n(created));
        } catch (NumberFormatException e) {
            throw new InvalidCursorException();
        }
    }

    /** The list cursor did not come from this API. */
    public static final class InvalidCursorException extends RuntimeException {
        public InvalidCursorException() {
            super("cursor is not one this API returned", null, false, false);
        }
    }

    static <T> T guarded(Supplier<T> call) {
        try {
            return call.get();
        } catch (ConditionalCheckFailedException | TransactionCanceledException e) {
            throw e;
        } catch (SdkException e) {
            if (e instanceof software.amazon.awssdk.awscore.exception.AwsServiceException ase
                    && ase.statusCode() >= 400 && ase.statusCode() < 500 && !ase.isThrottlingException()) {
                throw e; // our bug, not an outage: let it surface as a 500
            }
            throw new StoreUnavailableException("table unavailable: " + e.getMessage(), e);
        }
    }
}
