package dev.foley.store;

import static dev.foley.store.Attr.n;
import static dev.foley.store.Attr.num;
import static dev.foley.store.PredictionItems.IN_FLIGHT;
import static dev.foley.store.PredictionItems.KEY_FLIGHT_PREFIX;
import static dev.foley.store.PredictionItems.KEY_FLIGHT_SK;
import static dev.foley.store.PredictionItems.SLOTS_PREFIX;
import static dev.foley.store.PredictionItems.SLOTS_SK;
import static dev.foley.store.PredictionItems.WAITING_UNTIL;
import static dev.foley.store.PredictionItems.key;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

/**
 * Counters of what is in flight, kept apart from the predictions they count: a provider's slots
 * ({@code SLOTS#<provider>} / {@code SLOTS}: held, and until when waiters are ahead of newcomers)
 * and a key's predictions in flight ({@code F#<key id>} / {@code F}). Each change is a
 * transaction item the store writes together with the prediction it is for, so a count moves
 * exactly when a prediction says so and a crash cannot leak one.
 */
final class Capacity {

    /** How long a refused waiter keeps newcomers behind it (refreshed while it keeps waiting). */
    static final Duration WAITERS_AHEAD = Duration.ofSeconds(3);

    private final DynamoDbClient dynamo;
    private final String table;
    private final Clock clock;

    Capacity(DynamoDbClient dynamo, String table, Clock clock) {
        this.dynamo = dynamo;
        this.table = table;
        this.clock = clock;
    }

    /**
     * Takes one of {@code provider}'s {@code max} slots, if one is free; a {@code newcomer} (a
     * prediction that never waited) also needs no waiter to be ahead of it.
     */
    TransactWriteItem takeSlot(String provider, int max, boolean newcomer) {
        Update c = new Update();
        String count = c.name(IN_FLIGHT);
        c.when("(attribute_not_exists(" + count + ") OR " + count + " < " + c.value(n(max)) + ")");
        if (newcomer) {
            String waiting = c.name(WAITING_UNTIL);
            c.when("(attribute_not_exists(" + waiting + ") OR " + waiting + " < " + c.value(n(clock.instant().toEpochMilli())) + ")");
        }
        c.add(IN_FLIGHT, n(1));
        return TransactWriteItem.builder().update(x -> x.tableName(table).key(key(SLOTS_PREFIX + provider, SLOTS_SK))
                .updateExpression(c.expression()).conditionExpression(c.condition())
                .expressionAttributeNames(c.names()).expressionAttributeValues(c.values())).build();
    }

    /** A waiter was refused: newcomers stay behind it for {@link #WAITERS_AHEAD}. */
    void waitersAhead(String provider) {
        Update w = new Update();
        w.set(WAITING_UNTIL, clock.instant().plus(WAITERS_AHEAD).toEpochMilli());
        PredictionStore.guarded(() -> dynamo.updateItem(r -> r.tableName(table).key(key(SLOTS_PREFIX + provider, SLOTS_SK))
                .updateExpression(w.expression()).expressionAttributeNames(w.names()).expressionAttributeValues(w.values())));
    }

    /** {@code provider}'s slots held, changed by {@code delta}. */
    TransactWriteItem slotCount(String provider, long delta) {
        return TransactWriteItem.builder().update(x -> x.tableName(table).key(key(SLOTS_PREFIX + provider, SLOTS_SK))
                .updateExpression("ADD #n :d").expressionAttributeNames(Map.of("#n", IN_FLIGHT))
                .expressionAttributeValues(Map.of(":d", n(delta)))).build();
    }

    /** A key's predictions in flight, changed by {@code delta}; with {@code max} > 0, only below it. */
    TransactWriteItem keyCount(String keyId, long delta, int max) {
        return TransactWriteItem.builder().update(x -> {
            x.tableName(table).key(key(KEY_FLIGHT_PREFIX + keyId, KEY_FLIGHT_SK))
                    .updateExpression("ADD #n :d").expressionAttributeNames(Map.of("#n", IN_FLIGHT));
            if (max > 0) {
                x.conditionExpression("attribute_not_exists(#n) OR #n < :max")
                        .expressionAttributeValues(Map.of(":d", n(delta), ":max", n(max)));
            } else {
                x.expressionAttributeValues(Map.of(":d", n(delta)));
            }
        }).build();
    }

    /** How many of a key's predictions count as in flight now. */
    long keyInFlight(String keyId) {
        return count(KEY_FLIGHT_PREFIX + keyId, KEY_FLIGHT_SK);
    }

    /** How many of {@code provider}'s slots are held now. */
    long slotsHeld(String provider) {
        return count(SLOTS_PREFIX + provider, SLOTS_SK);
    }

    private long count(String pk, String sk) {
        Map<String, AttributeValue> item = PredictionStore.guarded(() -> dynamo.getItem(r -> r.tableName(table).consistentRead(true)
                .key(key(pk, sk)))).item();
        return item == null ? 0 : num(item, IN_FLIGHT, 0);
    }
}
