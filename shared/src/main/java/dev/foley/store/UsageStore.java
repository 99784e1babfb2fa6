package dev.foley.store;

import static dev.foley.store.Attr.n;
import static dev.foley.store.Attr.num;
import static dev.foley.store.Attr.s;
import static dev.foley.store.Attr.str;
import static dev.foley.store.FoleyTable.PK;
import static dev.foley.store.FoleyTable.SK;
import static dev.foley.store.PredictionStore.guarded;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

/**
 * Per-key daily usage ({@code U#<key id>} / {@code D#<yyyy-mm-dd>}): predictions, seconds of
 * audio and micro-dollars, kept with atomic ADDs written in the same transaction as the
 * completion, so each prediction counts exactly once.
 */
public final class UsageStore {

    /** One day of one key's usage. */
    public record Day(LocalDate day, long predictions, long seconds, long microUsd) {
    }

    private final DynamoDbClient dynamo;
    private final String table;

    public UsageStore(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    /** The day's usage ADD, written in the same transaction as the completion it counts. */
    static TransactWriteItem chargeItem(String table, String keyId, LocalDate day, long seconds, long microUsd) {
        return TransactWriteItem.builder().update(u -> u.tableName(table)
                .key(Map.of(PK, s("U#" + keyId), SK, s("D#" + day)))
                .updateExpression("ADD predictions :one, seconds :s, micro_usd :c")
                .expressionAttributeValues(Map.of(":one", n(1), ":s", n(seconds), ":c", n(microUsd)))).build();
    }

    /** Days from {@code from} to {@code to}, both included, that have usage. */
    public List<Day> range(String keyId, LocalDate from, LocalDate to) {
        List<Day> out = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> s0 = start;
            var resp = guarded(() -> dynamo.query(r -> r.tableName(table)
                    .keyConditionExpression("PK = :pk AND SK BETWEEN :a AND :b")
                    .expressionAttributeValues(Map.of(":pk", s("U#" + keyId), ":a", s("D#" + from), ":b", s("D#" + to)))
                    .exclusiveStartKey(s0)));
            for (Map<String, AttributeValue> item : resp.items()) {
                out.add(new Day(LocalDate.parse(str(item, SK).substring(2)), num(item, "predictions", 0),
                        num(item, "seconds", 0), num(item, "micro_usd", 0)));
            }
            start = resp.hasLastEvaluatedKey() && !resp.lastEvaluatedKey().isEmpty() ? resp.lastEvaluatedKey() : null;
        } while (start != null);
        return out;
    }
}
