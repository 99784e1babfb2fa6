package dev.foley.store;

import static dev.foley.store.Attr.n;
import static dev.foley.store.Attr.num;
import static dev.foley.store.Attr.s;
import static dev.foley.store.Attr.str;
import static dev.foley.store.FoleyTable.*;
import static dev.foley.store.PredictionItems.*;

import dev.foley.prediction.Notifications;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.ProviderJob;
import dev.foley.prediction.WebhookState;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/**
 * The one way a prediction is written after it is made: an {@link Update} conditional on the phase
 * and version it was read at ({@link #moveFrom}, which also gives back a provider slot or a key's
 * place in flight when the move ends them), written alone or in one transaction with its companion
 * writes (a charge, a refund, a count). Every versioned move ({@link PredictionMoves},
 * {@link ProviderSlots}) is built on it, so the state the pipeline reasons about is the state
 * written here.
 */
final class StoreWrites {

    final DynamoDbClient dynamo;
    final String table;
    final Clock clock;
    final Capacity capacity;
    private final int dueShards;

    StoreWrites(DynamoDbClient dynamo, String table, Clock clock, int dueShards) {
        this.dynamo = dynamo;
        this.table = table;
        this.clock = clock;
        this.dueShards = dueShards;
        this.capacity = new Capacity(dynamo, table, clock);
    }

    /** The prediction, read consistently. */
    Optional<Prediction> read(String id) {
        Map<String, AttributeValue> item = PredictionStore.guarded(() -> dynamo.getItem(r -> r.tableName(table)
                .consistentRead(true).key(address(id)))).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(fromItem(item));
    }


    /** An update of {@code p} to phase {@code to}, conditional on the phase and version {@code p} was read at. */
    Update moveFrom(Prediction p, Phase to) {
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

    void winner(Update u, ProviderJob job) {
        u.set(PROVIDER, job.provider()).set(PROVIDER_JOB, job.toJson())
                .add(JOBS, AttributeValue.fromSs(List.of(job.toJson())));
    }

    static void notifications(Update u, Notifications n) {
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
    void due(Update u, String id, Instant at) {
        if (at == null) {
            u.remove(DUE_SHARD).remove(DUE_AT);
        } else {
            u.set(DUE_SHARD, shardOf(id)).set(DUE_AT, at.toEpochMilli());
        }
    }

    Optional<Prediction> write(Prediction p, Update u) {
        if (u.releasesSlot() != null || u.releasesKeyCount() != null) {
            return writeWith(p, u);
        }
        try {
            var resp = PredictionStore.guarded(() -> dynamo.updateItem(r -> request(r, p.id(), u).returnValues(ReturnValue.ALL_NEW)));
            Prediction after = fromItem(resp.attributes());
            PhaseEvents.moved(p, after, clock);
            return Optional.of(after);
        } catch (ConditionalCheckFailedException lost) {
            return Optional.empty();
        }
    }

    /** The update and its companion writes, all or nothing: a charge or refund happens exactly when the transition does. */
    Optional<Prediction> writeWith(Prediction p, Update u, TransactWriteItem... companions) {
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
                all.add(capacity.slotCount(u.releasesSlot(), -1));
            }
            if (u.releasesKeyCount() != null) {
                all.add(capacity.keyCount(u.releasesKeyCount(), -1, 0));
            }
            PredictionStore.guarded(() -> dynamo.transactWriteItems(r -> r.transactItems(all)));
        } catch (TransactionCanceledException lost) {
            return Optional.empty();
        }
        Optional<Prediction> after = read(p.id());
        after.ifPresent(a -> PhaseEvents.moved(p, a, clock));
        return after;
    }

    software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest.Builder request(
            software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest.Builder r, String id, Update u) {
        String expression = u.expression();
        String condition = u.condition();
        return r.tableName(table).key(address(id))
                .updateExpression(expression).conditionExpression(condition)
                .expressionAttributeNames(u.names()).expressionAttributeValues(u.values());
    }

    /** Log lines as written: each stamped with the time it was recorded. */
    List<String> stamped(List<String> lines) {
        String at = clock.instant().toString();
        return lines.stream().map(l -> at + " " + l).toList();
    }

    String shardOf(String id) {
        return Integer.toString(Math.floorMod(id.hashCode(), dueShards));
    }
}
