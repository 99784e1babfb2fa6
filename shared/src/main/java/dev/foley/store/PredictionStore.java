package dev.foley.store;

import static dev.foley.store.Attr.n;
import static dev.foley.store.Attr.num;
import static dev.foley.store.Attr.s;
import static dev.foley.store.Attr.str;
import static dev.foley.store.FoleyTable.*;
import static dev.foley.store.PredictionItems.*;

import dev.foley.prediction.Prediction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/**
 * Predictions (and the idempotency records that point at them) in the Foley table: made (with
 * their idempotency claim, their key's count and their reservation in one transaction), read,
 * listed, found due. What happens to them after is {@link PredictionMoves} (every versioned move)
 * and {@link ProviderSlots} (a provider's slots); the item mapping is {@link PredictionItems}.
 * What is written to the table, and under which attribute names, is in {@code store/} alone.
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

    /** What a claim is for; a submit claim counts one more submit that may make a job. */
    public enum Step { SUBMIT, COPY, EFFECTS, MEDIA }

    private static final Duration IDEMPOTENCY_TTL = Duration.ofHours(24);


    private final DynamoDbClient dynamo;
    private final String table;
    private final Clock clock;
    private final int dueShards;
    private final Duration retention;
    private final StoreWrites writes;
    private final PredictionMoves moves;
    private final ProviderSlots slots;

    public PredictionStore(DynamoDbClient dynamo, String table, Clock clock, int dueShards, Duration retention) {
        this.dynamo = dynamo;
        this.table = table;
        this.clock = clock;
        this.dueShards = dueShards;
        this.retention = retention;
        this.writes = new StoreWrites(dynamo, table, clock, dueShards);
        this.moves = new PredictionMoves(writes);
        this.slots = new ProviderSlots(writes);
    }

    /** Every versioned move after a prediction is made (claims, records, completion, finish, effects). */
    public PredictionMoves moves() {
        return moves;
    }

    /** A provider's slots and a key's predictions in flight. */
    public ProviderSlots slots() {
        return slots;
    }

    // ---- creating and reading ----

    /**
     * Stores a new prediction (due at its {@code dueAt}; already claimed if it carries a lease).
     * With an idempotency claim, the claim and the prediction are written in one transaction; a
     * repeated claim returns the original prediction, or fails when the request differs.
     */
    public Created create(Prediction p, IdempotencyClaim claim) throws IdempotencyConflictException {
        try {
            return create(p, claim, 0);
        } catch (KeyBusyException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /** A prepaid key whose balance does not hold the price (a reservation made with the prediction): nothing was stored. */
    public static final class ShortOfBalanceException extends Exception {
        public ShortOfBalanceException() {
            super(null, null, false, false);
        }
    }

    /** A key at its limit of predictions in flight: nothing was stored. */
    public static final class KeyBusyException extends Exception {
        public KeyBusyException() {
            super(null, null, false, false);
        }
    }

    /**
     * The same; a prediction {@link Prediction#countedForKey counted} against its key is stored only
     * while the key has fewer than {@code keyMaxInFlight} at work (one transaction with the count).
     */
    public Created create(Prediction p, IdempotencyClaim claim, int keyMaxInFlight) throws IdempotencyConflictException, KeyBusyException {
        try {
            return create(p, claim, keyMaxInFlight, false);
        } catch (ShortOfBalanceException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /**
     * The same; with {@code reserveWithIt}, a counted prediction's prepaid reservation
     * ({@link Prediction#reservedMicroUsd}) is taken in the same transaction as its place in flight,
     * so a request refused for its key's limit never holds balance, even for a moment. The
     * prediction, its idempotency claim, its key's count and its reservation are one transaction;
     * when it is refused, the claim is settled first (a repeat is answered with its prediction,
     * limit or not), then the count, then the balance.
     */
    public Created create(Prediction p, IdempotencyClaim claim, int keyMaxInFlight, boolean reserveWithIt)
            throws IdempotencyConflictException, KeyBusyException, ShortOfBalanceException {
        boolean counted = p.countedForKey();
        boolean reserve = counted && reserveWithIt && p.reservedMicroUsd() > 0;
        Map<String, AttributeValue> item = toItem(p);
        TransactWriteItem put = TransactWriteItem.builder().put(Put.builder().tableName(table).item(item)
                .conditionExpression("attribute_not_exists(PK)").build()).build();
        if (!counted && claim == null) {
            guarded(() -> dynamo.putItem(r -> r.tableName(table).item(item).conditionExpression("attribute_not_exists(PK)")));
            PhaseEvents.created(p, clock);
            return new Created.New(p);
        }
        long nowSeconds = clock.instant().getEpochSecond();
        for (int attempt = 0; attempt < 3; attempt++) {
            List<TransactWriteItem> all = new ArrayList<>(List.of(put));
            if (counted) {
                all.add(writes.capacity.keyCount(p.keyId(), 1, keyMaxInFlight));
            }
            if (claim != null) {
                all.add(idempotencyPut(claim, p, nowSeconds));
            }
            if (reserve) {
                all.add(ApiKeyStore.reserveItem(table, p.keyHash(), p.reservedMicroUsd()));
            }
            try {
                guarded(() -> dynamo.transactWriteItems(r -> r.transactItems(all)));
                PhaseEvents.created(p, clock);
                return new Created.New(p);
            } catch (TransactionCanceledException e) {
                if (claim != null) {
                    Map<String, AttributeValue> existing = guarded(() -> dynamo.getItem(r -> r.tableName(table)
                            .consistentRead(true).key(key(idempotencyPk(claim), IDEMPOTENCY_SK)))).item();
                    if (existing != null && !existing.isEmpty() && num(existing, EXPIRES_AT, 0) >= nowSeconds) {
                        if (!claim.requestHash().equals(str(existing, "request_hash"))) {
                            throw new IdempotencyConflictException();
                        }
                        Optional<Prediction> original = get(str(existing, "prediction_id"));
                        if (original.isPresent()) {
                            return new Created.Replayed(original.get());
                        }
                        continue; // claimed, its prediction not readable yet: try again
                    }
                    if (!counted) {
                        continue; // the claim went away meanwhile: try again
                    }
                }
                if (writes.capacity.keyInFlight(p.keyId()) >= keyMaxInFlight) {
                    throw new KeyBusyException();
                }
                if (reserve && guarded(() -> ApiKeyStore.balanceOf(dynamo, table, p.keyHash())) < p.reservedMicroUsd()) {
                    throw new ShortOfBalanceException();
                }
                // the count moved meanwhile: try again
            }
        }
        throw new StoreUnavailableException(counted ? "could not settle the key's count of predictions in flight"
                : "could not settle the Idempotency-Key claim", null);
    }

    /** The claim of an {@code Idempotency-Key} for {@code p}, put unless a live one exists (TTL deletes lazily: an expired claim counts as absent). */
    private TransactWriteItem idempotencyPut(IdempotencyClaim claim, Prediction p, long nowSeconds) {
        Map<String, AttributeValue> idem = new HashMap<>();
        idem.put(PK, s(idempotencyPk(claim)));
        idem.put(SK, s(IDEMPOTENCY_SK));
        idem.put("request_hash", s(claim.requestHash()));
        idem.put("prediction_id", s(p.id()));
        idem.put(EXPIRES_AT, n(nowSeconds + IDEMPOTENCY_TTL.toSeconds()));
        return TransactWriteItem.builder().put(Put.builder().tableName(table).item(idem)
                .conditionExpression("attribute_not_exists(PK) OR expires_at < :now")
                .expressionAttributeValues(Map.of(":now", n(nowSeconds))).build()).build();
    }

    /** The prediction, read consistently. */
    public Optional<Prediction> get(String id) {
        return writes.read(id);
    }

    /** The prediction unless its key's owner deleted it from their history. */
    public Optional<Prediction> getShown(String id) {
        Map<String, AttributeValue> item = guarded(() -> dynamo.getItem(r -> r.tableName(table)
                .consistentRead(true).key(address(id)))).item();
        return item == null || item.isEmpty() || item.containsKey(DELETED_AT) ? Optional.empty() : Optional.of(fromItem(item));
    }

    /**
     * Removes a prediction from its key's history: it stays in the table (its effects run, its
     * bill stands, it expires with the others) but is no longer shown, listed or found by id.
     * False when it was deleted already.
     */
    public boolean markDeleted(String id, Instant at) {
        try {
            guarded(() -> dynamo.updateItem(r -> r.tableName(table).key(address(id))
                    .updateExpression("SET " + DELETED_AT + " = :t")
                    .conditionExpression("attribute_exists(PK) AND " + NOT_DELETED)
                    .expressionAttributeValues(Map.of(":t", n(at.toEpochMilli())))));
            return true;
        } catch (ConditionalCheckFailedException gone) {
            return false;
        }
    }

    /** One page of the hosted API's history: what {@code keep} accepts, newest first, {@code skip} of them left out. */
    public record HistoryPage(List<Prediction> items, boolean more) {
    }

    /**
     * The key's predictions created in {@code [after, before]} that {@code keep} accepts, newest
     * first: {@code take} of them after the first {@code skip}, and whether more follow.
     */
    public HistoryPage history(String keyId, Instant after, Instant before, java.util.function.Predicate<Prediction> keep,
            int skip, int take) {
        List<Prediction> out = new ArrayList<>();
        int seen = 0;
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            QueryResponse resp = guarded(() -> dynamo.query(r -> r.tableName(table).indexName(BY_KEY_INDEX)
                    .keyConditionExpression("key_id = :k AND created_at BETWEEN :a AND :b")
                    .filterExpression(NOT_DELETED)
                    .expressionAttributeValues(Map.of(":k", s(keyId), ":a", n(after.toEpochMilli()), ":b", n(before.toEpochMilli())))
                    .scanIndexForward(false)
                    .exclusiveStartKey(from)));
            for (Map<String, AttributeValue> item : resp.items()) {
                Prediction p = fromItem(item);
                if (!keep.test(p)) {
                    continue;
                }
                if (seen++ < skip) {
                    continue;
                }
                if (out.size() == take) {
                    return new HistoryPage(out, true);
                }
                out.add(p);
            }
            start = resp.hasLastEvaluatedKey() && !resp.lastEvaluatedKey().isEmpty() ? resp.lastEvaluatedKey() : null;
        } while (start != null);
        return new HistoryPage(out, false);
    }

    /** A long prediction's window items (every attempt of each), in window order: one query of its partition. */
    public List<Prediction> windowsOf(String parentId) {
        List<Prediction> out = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            QueryResponse resp = guarded(() -> dynamo.query(r -> r.tableName(table).consistentRead(true)
                    .keyConditionExpression("PK = :pk AND begins_with(SK, :w)")
                    .expressionAttributeValues(Map.of(":pk", s(PREDICTION_PREFIX + parentId), ":w", s(WINDOW_SK_PREFIX)))
                    .exclusiveStartKey(from)));
            resp.items().forEach(item -> out.add(fromItem(item)));
            start = resp.hasLastEvaluatedKey() && !resp.lastEvaluatedKey().isEmpty() ? resp.lastEvaluatedKey() : null;
        } while (start != null);
        return out;
    }

    /** Stores a window (new, due now); false when it exists already (another step made it). */
    public boolean createWindow(Prediction window) {
        try {
            guarded(() -> dynamo.putItem(r -> r.tableName(table).item(toItem(window))
                    .conditionExpression("attribute_not_exists(PK)")));
            PhaseEvents.created(window, clock);
            return true;
        } catch (ConditionalCheckFailedException exists) {
            return false;
        }
    }

    /** The key's predictions, newest first. The cursor is opaque and only valid for the same key. */
    public Page list(String keyId, int limit, String cursor) {
        Map<String, AttributeValue> start = cursor == null ? null : decodeCursor(keyId, cursor);
        QueryResponse resp = guarded(() -> dynamo.query(r -> r.tableName(table).indexName(BY_KEY_INDEX)
                .keyConditionExpression("key_id = :k")
                .filterExpression(NOT_DELETED)
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

    /**
     * One query of the {@code due} index for a shard: predictions due by {@code until}, soonest
     * first (at most {@code limit}). Read from the index (eventually consistent): a stale version
     * only makes a later conditional write lose, never win wrongly.
     */
    public List<Prediction> due(int shard, Instant until, int limit) {
        QueryResponse resp = guarded(() -> dynamo.query(r -> r.tableName(table).indexName(DUE_INDEX)
                .keyConditionExpression("due_shard = :s AND due_at <= :t")
                .expressionAttributeValues(Map.of(":s", s(Integer.toString(shard)), ":t", n(until.toEpochMilli())))
                .limit(limit)));
        List<Prediction> out = new ArrayList<>();
        for (Map<String, AttributeValue> item : resp.items()) {
            String sk = str(item, SK);
            if (PREDICTION_SK.equals(sk) || sk != null && sk.startsWith(WINDOW_SK_PREFIX)) {
                out.add(fromItem(item));
            }
        }
        return out;
    }

    /** When the soonest prediction due after {@code after} is due, on this shard: one small read. */
    public Optional<Instant> nextDueAfter(int shard, Instant after) {
        QueryResponse resp = guarded(() -> dynamo.query(r -> r.tableName(table).indexName(DUE_INDEX)
                .keyConditionExpression("due_shard = :s AND due_at > :t")
                .expressionAttributeValues(Map.of(":s", s(Integer.toString(shard)), ":t", n(after.toEpochMilli())))
                .projectionExpression(DUE_AT)
                .limit(1)));
        return resp.items().isEmpty() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(num(resp.items().get(0), DUE_AT, 0)));
    }

    public int dueShards() {
        return dueShards;
    }

    // ---- mapping (PredictionItems) ----

    private Map<String, AttributeValue> toItem(Prediction p) {
        return PredictionItems.toItem(p, retention, writes.shardOf(p.id()));
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
