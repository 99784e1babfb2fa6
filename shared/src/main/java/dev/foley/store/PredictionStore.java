package dev.foley.store;

import static dev.foley.store.Attr.n;
import static dev.foley.store.Attr.num;
import static dev.foley.store.Attr.s;
import static dev.foley.store.Attr.str;
import static dev.foley.store.FoleyTable.*;
import static dev.foley.store.PredictionItems.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.json.Json;
import dev.foley.prediction.Jobs;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Lease;
import dev.foley.prediction.Notifications;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.Pricing;
import dev.foley.prediction.ProviderJob;
import dev.foley.prediction.WebhookState;
import dev.foley.prediction.Windows;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
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
 * Predictions (and the idempotency records that point at them) in the Foley table, in the
 * domain's words: every method is one transition of the prediction's life (docs/design.md), written as
 * one conditional write on the phase and version read, so of any number of racing writers exactly
 * one wins; the loser gets {@code Optional.empty()} and reads again. A charge or a refund is written
 * in the same transaction as the transition that causes it. What is written to the table, and under
 * which attribute names, is in this class (and its neighbours in {@code store/}) alone.
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
    private final Capacity capacity;

    public PredictionStore(DynamoDbClient dynamo, String table, Clock clock, int dueShards, Duration retention) {
        this.dynamo = dynamo;
        this.table = table;
        this.clock = clock;
        this.dueShards = dueShards;
        this.retention = retention;
        this.capacity = new Capacity(dynamo, table, clock);
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
     * so a request refused for its key's limit never holds balance, even for a moment.
     */
    public Created create(Prediction p, IdempotencyClaim claim, int keyMaxInFlight, boolean reserveWithIt)
            throws IdempotencyConflictException, KeyBusyException, ShortOfBalanceException {
        if (p.countedForKey()) {
            return createCounted(p, claim, keyMaxInFlight, reserveWithIt && p.reservedMicroUsd() > 0);
        }
        Map<String, AttributeValue> item = toItem(p);
        if (claim == null) {
            guarded(() -> dynamo.putItem(r -> r.tableName(table).item(item)
                    .conditionExpression("attribute_not_exists(PK)")));
            PhaseEvents.created(p, clock);
            return new Created.New(p);
        }
        long nowSeconds = clock.instant().getEpochSecond();
        TransactWriteItem idem = idempotencyPut(claim, p, nowSeconds);
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                guarded(() -> dynamo.transactWriteItems(r -> r.transactItems(idem,
                        TransactWriteItem.builder().put(Put.builder().tableName(table).item(item)
                                .conditionExpression("attribute_not_exists(PK)").build()).build())));
                PhaseEvents.created(p, clock);
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

    private Created createCounted(Prediction p, IdempotencyClaim claim, int max, boolean reserve)
            throws IdempotencyConflictException, KeyBusyException, ShortOfBalanceException {
        Map<String, AttributeValue> item = toItem(p);
        long nowSeconds = clock.instant().getEpochSecond();
        for (int attempt = 0; attempt < 3; attempt++) {
            List<TransactWriteItem> all = new ArrayList<>();
            all.add(TransactWriteItem.builder().put(Put.builder().tableName(table).item(item)
                    .conditionExpression("attribute_not_exists(PK)").build()).build());
            all.add(keyCount(p.keyId(), 1, max));
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
                    // A repeat of an earlier request is answered with its prediction, limit or not.
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
                        continue;
                    }
                }
                if (keyInFlight(p.keyId()) >= max) {
                    throw new KeyBusyException();
                }
                if (reserve && guarded(() -> ApiKeyStore.balanceOf(dynamo, table, p.keyHash())) < p.reservedMicroUsd()) {
                    throw new ShortOfBalanceException();
                }
                // the count moved meanwhile: try again
            }
        }
        throw new StoreUnavailableException("could not settle the key's count of predictions in flight", null);
    }

    /** The prediction, read consistently. */
    public Optional<Prediction> get(String id) {
        Map<String, AttributeValue> item = guarded(() -> dynamo.getItem(r -> r.tableName(table)
                .consistentRead(true).key(address(id)))).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(fromItem(item));
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

    // ---- claims ----

    /**
     * Claims {@code p}'s next step for {@code owner} until {@code until}, if nobody moved it since it
     * was read and nobody holds a live lease on it. While claimed, the prediction is due at the lease's
     * end, so a poller comes back only if the holder never records (it crashed). A submit claim counts
     * one more unconfirmed submit; an effects claim that {@code countsWebhookAttempt} counts the
     * attempt before it is made.
     */
    public Optional<Prediction> claim(Prediction p, Step step, String owner, Instant until, boolean countsWebhookAttempt) {
        Update u = moveFrom(p, p.phase());
        String now = u.value(n(clock.instant().toEpochMilli()));
        u.when("(attribute_not_exists(" + u.name(LEASE_UNTIL) + ") OR " + u.name(LEASE_UNTIL) + " < " + now + ")");
        u.set(LEASE_OWNER, owner).set(LEASE_UNTIL, until.toEpochMilli());
        due(u, p.id(), until);
        if (step == Step.SUBMIT) {
            u.add(UNCONFIRMED, n(1));
        }
        if (countsWebhookAttempt) {
            u.add(WEBHOOK_ATTEMPTS, n(1));
        }
        return write(p, u);
    }

    /**
     * Holds a claimed step's lease longer: {@code next} instead of {@code current}, only while the
     * claim stands (same version, same lease end: nothing else moved it, nobody took it over). The
     * version is not bumped, so the holder's record still matches. False when the claim is gone.
     */
    public boolean renewLease(Prediction claimed, Instant current, Instant next) {
        Update u = new Update();
        u.when(u.name(VERSION) + " = " + u.value(n(claimed.version())));
        u.when(u.name(LEASE_UNTIL) + " = " + u.value(n(current.toEpochMilli())));
        u.set(LEASE_UNTIL, next.toEpochMilli());
        due(u, claimed.id(), next);
        try {
            guarded(() -> dynamo.updateItem(r -> request(r, claimed.id(), u)));
            return true;
        } catch (ConditionalCheckFailedException lost) {
            return false;
        }
    }

    // ---- a provider's slots (FOLEY_PROVIDER_MAX_IN_FLIGHT) ----

    /** What asking for a slot came to. */
    public sealed interface SlotOutcome {
        /** The slot is the prediction's (returned as now stored). */
        record Acquired(Prediction prediction) implements SlotOutcome {
        }

        /** Every slot is held, or waiters are ahead of a newcomer. */
        record Full() implements SlotOutcome {
        }

        /** The prediction moved meanwhile (a cancel, say): nothing was taken. */
        record Lost() implements SlotOutcome {
        }
    }

    /**
     * Takes one of {@code provider}'s {@code max} slots for the claimed {@code p}, in one
     * transaction with the prediction (so a slot is held exactly while a prediction says so, and a
     * crash cannot leak one). A prediction that never waited also needs no waiter to be ahead of it:
     * newcomers queue behind those already waiting.
     */
    public SlotOutcome acquireSlot(Prediction claimed, String provider, int max) {
        Update u = moveFrom(claimed, claimed.phase());
        u.set(SLOT, provider);
        TransactWriteItem slot = capacity.takeSlot(provider, max, claimed.queuedAt() == null);
        Optional<Prediction> held = writeWith(claimed, u, slot);
        if (held.isPresent()) {
            return new SlotOutcome.Acquired(held.get());
        }
        Optional<Prediction> now = get(claimed.id());
        return now.isPresent() && now.get().version() == claimed.version() ? new SlotOutcome.Full() : new SlotOutcome.Lost();
    }

    /**
     * The claimed {@code p} found its provider full: back to waiting ({@code created}), its claim
     * (and the submit it counted) given back, due again at {@code retryAt}. The first time, it is
     * stamped as waiting and says so in its log; newcomers stay behind it for a few seconds.
     */
    public Optional<Prediction> recordQueued(Prediction claimed, String provider, int max, Instant retryAt) {
        Instant now = clock.instant();
        Update u = moveFrom(claimed, Phase.ACCEPTED);
        u.add(UNCONFIRMED, n(-1)).remove(LEASE_OWNER).remove(LEASE_UNTIL);
        if (claimed.queuedAt() == null) {
            u.set(QUEUED_AT, now.toEpochMilli())
                    .append(ATTEMPTS, stamped(List.of("waiting: " + provider + " has " + max + " at work (FOLEY_PROVIDER_MAX_IN_FLIGHT)")));
        }
        due(u, claimed.id(), retryAt);
        Optional<Prediction> queued = write(claimed, u);
        capacity.waitersAhead(provider);
        return queued;
    }

    private TransactWriteItem keyCount(String keyId, long delta, int max) {
        return capacity.keyCount(keyId, delta, max);
    }

    private TransactWriteItem slotCount(String provider, long delta) {
        return capacity.slotCount(provider, delta);
    }

    /** How many of a key's predictions count as in flight now (operators, tests). */
    public long keyInFlight(String keyId) {
        return capacity.keyInFlight(keyId);
    }

    /** How many of {@code provider}'s slots are held now (operators, tests). */
    public long slotsHeld(String provider) {
        return capacity.slotsHeld(provider);
    }

    // ---- accepted → submitted ----

    /** The claimed submit made {@code job}: it is the one to follow. */
    public Optional<Prediction> recordSubmitted(Prediction claimed, ProviderJob job, Instant firstCheck, List<String> lines) {
        Update u = moveFrom(claimed, Phase.SUBMITTED);
        winner(u, job);
        u.add(UNCONFIRMED, n(-1)).set(CHECKS, 0).set(NOT_FOUND_CHECKS, 0).remove(LEASE_OWNER).remove(LEASE_UNTIL)
                .append(ATTEMPTS, stamped(lines));
        due(u, claimed.id(), firstCheck);
        return write(claimed, u);
    }

    /**
     * The claimed submit made no job we know of: try again at {@code retryAt} (null: wait for a
     * callback until then, not due). {@code maybeCreated}: the request reached the provider, so it
     * stays counted against the prediction's submit budget.
     */
    public Optional<Prediction> recordSubmitFailure(Prediction claimed, boolean maybeCreated, Instant retryAt, List<String> lines) {
        Update u = moveFrom(claimed, Phase.ACCEPTED);
        if (!maybeCreated) {
            u.add(UNCONFIRMED, n(-1));
        }
        u.add(CHECKS, n(1)); // while accepted, checks counts the submits that failed (their backoff)
        u.remove(LEASE_OWNER).remove(LEASE_UNTIL).append(ATTEMPTS, stamped(lines));
        due(u, claimed.id(), retryAt);
        return write(claimed, u);
    }

    /**
     * A verified callback names a job while the prediction still waits for its submit's answer (the
     * answer was lost, or is still on its way): that job is the one to follow. Any submit in flight
     * loses its claim and treats its own job as an orphan unless it is this one.
     */
    public Optional<Prediction> adopt(Prediction p, ProviderJob job, List<String> lines) {
        Update u = moveFrom(p, Phase.SUBMITTED);
        winner(u, job);
        if (p.jobs().unconfirmed() > 0) {
            u.add(UNCONFIRMED, n(-1));
        }
        u.set(CHECKS, 0).set(NOT_FOUND_CHECKS, 0).remove(LEASE_OWNER).remove(LEASE_UNTIL).append(ATTEMPTS, stamped(lines));
        due(u, p.id(), clock.instant());
        return write(p, u);
    }

    /**
     * A job nobody follows: a submit's answer came after its prediction moved on, or a callback named
     * a job the prediction does not track. It is recorded ({@code ended}: it has finished by itself,
     * nothing to stop), and the prediction made due at once, so whoever steps it next stops the job; the version moves, so a writer holding an older read
     * (and not knowing of this job) loses and reads again.
     */
    public Optional<Prediction> recordOrphan(String predictionId, ProviderJob job, boolean ended, List<String> lines) {
        Update u = new Update();
        String pk = u.name(PK);
        u.when("attribute_exists(" + pk + ")");
        u.setExpression(VERSION, u.name(VERSION) + " + " + u.value(n(1)));
        u.set(UPDATED_AT, clock.instant().toEpochMilli());
        u.add(JOBS, AttributeValue.fromSs(List.of(job.toJson())));
        if (ended) {
            u.add(JOBS_STOPPED, AttributeValue.fromSs(List.of(job.key())));
        }
        u.append(ATTEMPTS, stamped(lines));
        due(u, predictionId, clock.instant());
        try {
            var resp = guarded(() -> dynamo.updateItem(r -> request(r, predictionId, u).returnValues(ReturnValue.ALL_NEW)));
            return Optional.of(fromItem(resp.attributes()));
        } catch (ConditionalCheckFailedException gone) {
            return Optional.empty();
        }
    }

    /**
     * Adds lines to a prediction's attempt log whatever state it is in: what a step did is kept
     * even when its record lost a race (a late submit's timeout, say).
     */
    public void appendAttempts(String predictionId, List<String> lines) {
        if (lines.isEmpty()) {
            return;
        }
        Update u = new Update();
        u.when("attribute_exists(" + u.name(PK) + ")");
        u.append(ATTEMPTS, stamped(lines));
        try {
            guarded(() -> dynamo.updateItem(r -> request(r, predictionId, u)));
        } catch (ConditionalCheckFailedException gone) {
            // the prediction expired meanwhile: nothing to record on
        }
    }

    // ---- submitted: checks ----

    /** A status check (or a failed check call) found the job still running: check again at {@code next}. */
    public Optional<Prediction> recordCheck(Prediction p, Instant next, int notFoundChecks, List<String> lines) {
        Update u = moveFrom(p, Phase.SUBMITTED);
        u.add(CHECKS, n(1)).set(NOT_FOUND_CHECKS, notFoundChecks).append(ATTEMPTS, stamped(lines));
        due(u, p.id(), next);
        return write(p, u);
    }

    /** The provider's job is done: its outputs wait to be copied; completion is due by {@code handOver}. */
    public Optional<Prediction> markUpstreamDone(Prediction p, List<String> outputs, List<Boolean> nsfw, long inferenceMs,
            Instant handOver) {
        Update u = moveFrom(p, Phase.UPSTREAM_DONE);
        u.set(UPSTREAM_OUTPUTS, AttributeValue.fromL(outputs.stream().map(Attr::s).toList()))
                .set(NSFW, AttributeValue.fromL(nsfw.stream().map(Attr::bool).toList()))
                .set(INFERENCE_MS, inferenceMs)
                .set(UPSTREAM_AT, clock.instant().toEpochMilli())
                .remove(LEASE_OWNER).remove(LEASE_UNTIL);
        due(u, p.id(), handOver);
        return write(p, u);
    }

    /**
     * A prediction failed because its provider no longer knew the job ({@code Lifecycle.JOB_LOST}),
     * whose verified callback now says that job is done: it is adopted again, upstream done, its
     * error cleared and its webhook owed anew. A prepaid reservation given back at the failure is
     * taken again in the same transaction (empty, nothing written, when the balance no longer holds it).
     */
    public Optional<Prediction> revive(Prediction failed, List<String> outputs, List<Boolean> nsfw, long inferenceMs,
            Instant handOver, List<String> lines) {
        Update u = moveFrom(failed, Phase.UPSTREAM_DONE);
        u.set(UPSTREAM_OUTPUTS, AttributeValue.fromL(outputs.stream().map(Attr::s).toList()))
                .set(NSFW, AttributeValue.fromL(nsfw.stream().map(Attr::bool).toList()))
                .set(INFERENCE_MS, inferenceMs)
                .set(UPSTREAM_AT, clock.instant().toEpochMilli())
                .set(ERROR, "")
                .remove(LEASE_OWNER).remove(LEASE_UNTIL).append(ATTEMPTS, stamped(lines));
        notifications(u, Notifications.NONE);
        due(u, failed.id(), handOver);
        if (failed.reservedMicroUsd() > 0) {
            return writeWith(failed, u, ApiKeyStore.reserveItem(table, failed.keyHash(), failed.reservedMicroUsd()));
        }
        return write(failed, u);
    }

    // ---- long predictions ----

    /** The media function cut the video (its claim): the windows are planned, the parent is at work; due at {@code due}. */
    public Optional<Prediction> recordCut(Prediction claimed, Windows w, Instant due, List<String> lines) {
        Update u = moveFrom(claimed, Phase.SUBMITTED);
        windows(u, w);
        u.remove(LEASE_OWNER).remove(LEASE_UNTIL).append(ATTEMPTS, stamped(lines));
        due(u, claimed.id(), due);
        return write(claimed, u);
    }

    /** The claimed cut failed (the video could not be fetched, say): try again at {@code retryAt}, counted as a media attempt. */
    public Optional<Prediction> recordCutFailure(Prediction claimed, Instant retryAt, List<String> lines) {
        return failedAttempt(claimed, Phase.ACCEPTED, retryAt, lines);
    }

    /** How many windows are done now; looked at again at {@code next}. */
    public Optional<Prediction> recordProgress(Prediction p, int done, Instant next, List<String> lines) {
        Update u = moveFrom(p, Phase.SUBMITTED);
        u.set(WINDOWS_DONE, done).add(CHECKS, n(1));
        if (!lines.isEmpty()) {
            u.append(ATTEMPTS, stamped(lines));
        }
        due(u, p.id(), next);
        return write(p, u);
    }

    private static void windows(Update u, Windows w) {
        u.set(MEDIA_MS, Math.round(w.seconds() * 1000)).set(WINDOWS_TOTAL, w.total()).set(WINDOWS_DONE, w.done())
                .set(WINDOW_CAP, w.concurrency());
    }

    // ---- upstream_done → completed ----

    /** Keeps an upstream-done prediction due (completion is handed it again by {@code at}). */
    public Optional<Prediction> reschedule(Prediction p, Instant at) {
        Update u = moveFrom(p, p.phase());
        due(u, p.id(), at);
        return write(p, u);
    }

    /** The claimed copy failed; try again at {@code retryAt}. */
    public Optional<Prediction> recordCopyFailure(Prediction claimed, Instant retryAt, List<String> lines) {
        return failedAttempt(claimed, Phase.UPSTREAM_DONE, retryAt, lines);
    }

    /** A claimed copy or media step failed in {@code phase}: one more attempt counted, the lease let go, due again at {@code retryAt}. */
    private Optional<Prediction> failedAttempt(Prediction claimed, Phase phase, Instant retryAt, List<String> lines) {
        Update u = moveFrom(claimed, phase);
        u.add(COPY_ATTEMPTS, n(1)).set(RETRY_AT, retryAt.toEpochMilli()).remove(LEASE_OWNER).remove(LEASE_UNTIL)
                .append(ATTEMPTS, stamped(lines));
        due(u, claimed.id(), retryAt);
        return write(claimed, u);
    }

    /**
     * Completed, with its outputs in our bucket: charged {@code microUsd} on the prediction and in
     * the key's usage for today, in one transaction with the transition. What it still owes (its
     * webhook, its result file) is due at {@code due}.
     */
    public Optional<Prediction> complete(Prediction claimed, List<String> outputKeys, long microUsd, Notifications owed, Instant due) {
        return complete(claimed, outputKeys, Pricing.secondsOf(claimed), microUsd, owed, due, List.of());
    }

    /**
     * The same, for {@code seconds} of audio; a reservation larger than the charge (the long model
     * reserves for its limit) gives the rest back in the same transaction. A window is not charged.
     */
    public Optional<Prediction> complete(Prediction claimed, List<String> outputKeys, long seconds, long microUsd,
            Notifications owed, Instant due, List<String> lines) {
        return complete(claimed, outputKeys, List.of(), seconds, microUsd, owed, due, lines);
    }

    /** The same, with each output's sound check ({@code quality}, JSON objects; empty: not checked). */
    public Optional<Prediction> complete(Prediction claimed, List<String> outputKeys, List<String> quality, long seconds,
            long microUsd, Notifications owed, Instant due, List<String> lines) {
        Instant now = clock.instant();
        Update u = moveFrom(claimed, Phase.COMPLETED);
        if (!quality.isEmpty()) {
            u.set(QUALITY, AttributeValue.fromL(quality.stream().map(Attr::s).toList()));
        }
        u.set(OUTPUT_KEYS, AttributeValue.fromL(outputKeys.stream().map(Attr::s).toList()))
                .remove(UPSTREAM_OUTPUTS)
                .set(COMPLETED_AT, now.toEpochMilli())
                .set(CHARGE, microUsd)
                .remove(LEASE_OWNER).remove(LEASE_UNTIL);
        notifications(u, owed);
        if (!lines.isEmpty()) {
            u.append(ATTEMPTS, stamped(lines));
        }
        due(u, claimed.id(), due);
        if (claimed.isWindow()) {
            return write(claimed, u);
        }
        List<TransactWriteItem> companions = new ArrayList<>();
        companions.add(UsageStore.chargeItem(table, claimed.keyId(), now.atZone(ZoneOffset.UTC).toLocalDate(), seconds, microUsd));
        if (claimed.reservedMicroUsd() > microUsd) {
            companions.add(ApiKeyStore.refundItem(table, claimed.keyHash(), claimed.reservedMicroUsd() - microUsd));
        }
        return writeWith(claimed, u, companions.toArray(TransactWriteItem[]::new));
    }

    // ---- failed, cancelled ----

    /**
     * Ends {@code p} without a result ({@code to} is failed or cancelled), never charged: a prepaid
     * reservation goes back to its key in the same transaction. {@code jobEnded}: the tracked job
     * ended by itself (it failed), so there is nothing to stop.
     */
    public Optional<Prediction> finish(Prediction p, Phase to, String error, boolean jobEnded, Notifications owed, Instant due,
            List<String> lines) {
        if (to != Phase.FAILED && to != Phase.CANCELLED) {
            throw new IllegalArgumentException("finish is for failed or cancelled, not " + to);
        }
        Update u = moveFrom(p, to);
        u.set(ERROR, error).remove(LEASE_OWNER).remove(LEASE_UNTIL).append(ATTEMPTS, stamped(lines));
        if (jobEnded && p.job() != null) {
            u.add(JOBS_STOPPED, AttributeValue.fromSs(List.of(p.job().key())));
        }
        notifications(u, owed);
        due(u, p.id(), due);
        if (p.reservedMicroUsd() > 0) {
            return writeWith(p, u, ApiKeyStore.refundItem(table, p.keyHash(), p.reservedMicroUsd()));
        }
        return write(p, u);
    }

    // ---- effects ----

    /**
     * What the holder of an effects claim did: jobs stopped (their keys), what is still owed, and
     * when the prediction is next due (null: never again).
     */
    public Optional<Prediction> recordEffects(Prediction claimed, Set<String> stopped, Notifications owed, Instant due,
            List<String> lines) {
        return recordEffects(claimed, stopped, null, owed, due, lines);
    }

    /**
     * The same, with where the cancels stand ({@code stops}: a failed round's count and when the
     * next is due; null: as they were).
     */
    public Optional<Prediction> recordEffects(Prediction claimed, Set<String> stopped, Jobs stops, Notifications owed,
            Instant due, List<String> lines) {
        Update u = moveFrom(claimed, claimed.phase());
        if (!stopped.isEmpty()) {
            u.add(JOBS_STOPPED, AttributeValue.fromSs(List.copyOf(stopped)));
        }
        if (stops != null) {
            u.set(STOP_ATTEMPTS, stops.stopAttempts());
            if (stops.stopDueAt() == null) {
                u.remove(STOP_DUE_AT);
            } else {
                u.set(STOP_DUE_AT, stops.stopDueAt().toEpochMilli());
            }
        }
        notifications(u, owed);
        u.remove(LEASE_OWNER).remove(LEASE_UNTIL).append(ATTEMPTS, stamped(lines));
        due(u, claimed.id(), due);
        return write(claimed, u);
    }

    // ---- the write itself ----

    /** An update of {@code p} to phase {@code to}, conditional on the phase and version {@code p} was read at. */
    private Update moveFrom(Prediction p, Phase to) {
        Update u = new Update();
        u.when(u.name(PHASE) + " = " + u.value(s(p.phase().code())));
        u.when(u.name(VERSION) + " = " + u.value(n(p.version())));
        u.set(PHASE, to.code()).set(VERSION, p.version() + 1).set(UPDATED_AT, clock.instant().toEpochMilli());
        if (p.countedForKey() && to.terminal() && !p.phase().terminal()) {
            // Finished: it no longer counts against its key's predictions in flight.
            u.remove(KEY_COUNTED);
            u.releaseKeyCount(p.keyId());
        }
        if (p.slot() != null && (to == Phase.UPSTREAM_DONE || to.terminal())) {
            // Its provider's work is over: the slot goes back in the same transaction as the move.
            u.remove(SLOT);
            u.releaseSlot(p.slot());
        }
        return u;
    }

    private void winner(Update u, ProviderJob job) {
        u.set(PROVIDER, job.provider()).set(PROVIDER_JOB, job.toJson())
                .add(JOBS, AttributeValue.fromSs(List.of(job.toJson())));
    }

    private static void notifications(Update u, Notifications n) {
        if (n.webhookState() == WebhookState.NONE) {
            u.remove(WEBHOOK_STATE);
        } else {
            u.set(WEBHOOK_STATE, n.webhookState().code());
        }
        if (n.webhookDueAt() != null) {
            u.set(WEBHOOK_DUE_AT, n.webhookDueAt().toEpochMilli());
        } else {
            u.remove(WEBHOOK_DUE_AT);
        }
        u.set(RESULT_FILE_PENDING, AttributeValue.fromBool(n.resultFilePending()));
    }

    /** In the {@code due} index at {@code at}, or out of it when null. */
    private void due(Update u, String id, Instant at) {
        if (at == null) {
            u.remove(DUE_SHARD).remove(DUE_AT);
        } else {
            u.set(DUE_SHARD, shardOf(id)).set(DUE_AT, at.toEpochMilli());
        }
    }

    private Optional<Prediction> write(Prediction p, Update u) {
        if (u.releasesSlot() != null || u.releasesKeyCount() != null) {
            return writeWith(p, u);
        }
        try {
            var resp = guarded(() -> dynamo.updateItem(r -> request(r, p.id(), u).returnValues(ReturnValue.ALL_NEW)));
            Prediction after = fromItem(resp.attributes());
            PhaseEvents.moved(p, after, clock);
            return Optional.of(after);
        } catch (ConditionalCheckFailedException lost) {
            return Optional.empty();
        }
    }

    /** The update and its companion writes, all or nothing: a charge or refund happens exactly when the transition does. */
    private Optional<Prediction> writeWith(Prediction p, Update u, TransactWriteItem... companions) {
        String expression = u.expression();
        String condition = u.condition();
        TransactWriteItem main = TransactWriteItem.builder().update(x -> x.tableName(table)
                .key(address(p.id()))
                .updateExpression(expression).conditionExpression(condition)
                .expressionAttributeNames(u.names()).expressionAttributeValues(u.values())).build();
        try {
            List<TransactWriteItem> all = new ArrayList<>();
            all.add(main);
            all.addAll(List.of(companions));
            if (u.releasesSlot() != null) {
                all.add(slotCount(u.releasesSlot(), -1));
            }
            if (u.releasesKeyCount() != null) {
                all.add(keyCount(u.releasesKeyCount(), -1, 0));
            }
            guarded(() -> dynamo.transactWriteItems(r -> r.transactItems(all)));
        } catch (TransactionCanceledException lost) {
            return Optional.empty();
        }
        Optional<Prediction> after = get(p.id());
        after.ifPresent(a -> PhaseEvents.moved(p, a, clock));
        return after;
    }

    private software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest.Builder request(
            software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest.Builder r, String id, Update u) {
        String expression = u.expression();
        String condition = u.condition();
        return r.tableName(table).key(address(id))
                .updateExpression(expression).conditionExpression(condition)
                .expressionAttributeNames(u.names()).expressionAttributeValues(u.values());
    }

    /** Log lines as written: each stamped with the time it was recorded. */
    private List<String> stamped(List<String> lines) {
        String at = clock.instant().toString();
        return lines.stream().map(l -> at + " " + l).toList();
    }

    String shardOf(String id) {
        return Integer.toString(Math.floorMod(id.hashCode(), dueShards));
    }

    // ---- mapping (PredictionItems) ----

    private Map<String, AttributeValue> toItem(Prediction p) {
        return PredictionItems.toItem(p, retention, shardOf(p.id()));
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
