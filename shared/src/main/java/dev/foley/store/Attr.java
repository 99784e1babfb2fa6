package dev.foley.store;

import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** Short constructors and readers for DynamoDB attribute values. */
final class Attr {

    private Attr() {
    }

    static AttributeValue s(String v) {
        return AttributeValue.fromS(v);
    }

    static AttributeValue n(long v) {
        return AttributeValue.fromN(Long.toString(v));
    }

    static AttributeValue bool(boolean v) {
        return AttributeValue.fromBool(v);
    }

    static String str(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        return v == null ? null : v.s();
    }

    static long num(Map<String, AttributeValue> item, String name, long dflt) {
        AttributeValue v = item.get(name);
        return v == null || v.n() == null ? dflt : Long.parseLong(v.n());
    }

    static boolean flag(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        return v != null && Boolean.TRUE.equals(v.bool());
    }
}
