package dev.foley.store;

import static dev.foley.store.Attr.n;
import static dev.foley.store.Attr.num;
import static dev.foley.store.Attr.s;
import static dev.foley.store.Attr.str;
import static dev.foley.store.FoleyTable.EXPIRES_AT;
import static dev.foley.store.FoleyTable.PK;
import static dev.foley.store.FoleyTable.PREDICTION_PREFIX;
import static dev.foley.store.FoleyTable.SK;
import static dev.foley.store.PredictionStore.guarded;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

/**
 * The record of every webhook delivery attempt, one item each beside its prediction
 * ({@code P#<id>} / {@code W#<nnn>}): when, to which host, the answer, how long it took, what went
 * wrong. Attempt numbers are handed out by the prediction's effects claim, so an attempt's record is
 * written once and never overwritten.
 */
public final class WebhookAttempts {

    /** One attempt as recorded. */
    public record Attempt(int number, Instant at, String host, int status, long latencyMs, String error) {
    }

    static final String PREFIX = "W#";

    private final DynamoDbClient dynamo;
    private final String table;
    private final Clock clock;
    private final Duration retention;

    public WebhookAttempts(DynamoDbClient dynamo, String table, Clock clock, Duration retention) {
        this.dynamo = dynamo;
        this.table = table;
        this.clock = clock;
        this.retention = retention;
    }

    /** Records attempt {@code a} of prediction {@code predictionId}; false if that number was recorded already. */
    public boolean record(String predictionId, Attempt a) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put(PK, s(PREDICTION_PREFIX + predictionId));
        item.put(SK, s(String.format("%s%03d", PREFIX, a.number())));
        item.put("at", n(a.at().toEpochMilli()));
        item.put("url_host", s(a.host() == null ? "" : a.host()));
        item.put("status", n(a.status()));
        item.put("latency_ms", n(a.latencyMs()));
        if (a.error() != null && !a.error().isEmpty()) {
            item.put("error", s(a.error()));
        }
        item.put(EXPIRES_AT, n(clock.instant().plus(retention).getEpochSecond()));
        try {
            guarded(() -> dynamo.putItem(r -> r.tableName(table).item(item).conditionExpression("attribute_not_exists(SK)")));
            return true;
        } catch (ConditionalCheckFailedException already) {
            return false;
        }
    }

    /** A prediction's attempts, in order. */
    public List<Attempt> of(String predictionId) {
        var items = guarded(() -> dynamo.query(r -> r.tableName(table).consistentRead(true)
                .keyConditionExpression("PK = :p AND begins_with(SK, :w)")
                .expressionAttributeValues(Map.of(":p", s(PREDICTION_PREFIX + predictionId), ":w", s(PREFIX))))).items();
        List<Attempt> out = new ArrayList<>();
        for (var i : items) {
            out.add(new Attempt(Integer.parseInt(str(i, SK).substring(PREFIX.length())), Instant.ofEpochMilli(num(i, "at", 0)),
                    str(i, "url_host"), (int) num(i, "status", 0), num(i, "latency_ms", 0), str(i, "error")));
        }
        return out;
    }
}
