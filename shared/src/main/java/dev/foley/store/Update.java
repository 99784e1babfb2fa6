package dev.foley.store;

import static dev.foley.store.Attr.n;
import static dev.foley.store.Attr.s;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * One DynamoDB update expression and its condition, built clause by clause with placeholders for
 * every name and value (no attribute name is ever pasted into the expression).
 */
final class Update {

    private final Map<String, String> names = new HashMap<>();
    private final Map<String, AttributeValue> values = new HashMap<>();
    private final Map<String, String> sets = new LinkedHashMap<>();
    private final Map<String, String> adds = new LinkedHashMap<>();
    private final Set<String> removes = new LinkedHashSet<>();
    private final List<String> conditions = new ArrayList<>();
    private int next;
    /** The provider whose in-flight slot this move gives back (in the same transaction), or null. */
    private String releasesSlot;

    void releaseSlot(String provider) {
        releasesSlot = provider;
    }

    String releasesSlot() {
        return releasesSlot;
    }

    /** The key whose in-flight count this move lowers (in the same transaction), or null. */
    private String releasesKeyCount;

    void releaseKeyCount(String keyId) {
        releasesKeyCount = keyId;
    }

    String releasesKeyCount() {
        return releasesKeyCount;
    }

    String name(String attribute) {
        String key = "#n" + attribute.replaceAll("[^A-Za-z0-9]", "");
        names.put(key, attribute);
        return key;
    }

    String value(AttributeValue v) {
        String key = ":v" + next++;
        values.put(key, v);
        return key;
    }

    Update set(String attribute, AttributeValue v) {
        removes.remove(attribute);
        sets.put(attribute, value(v));
        return this;
    }

    Update set(String attribute, String v) {
        return set(attribute, s(v));
    }

    Update set(String attribute, long v) {
        return set(attribute, n(v));
    }

    /** Sets {@code attribute} to a raw expression (e.g. {@code list_append(...)}) made with this update's placeholders. */
    Update setExpression(String attribute, String expression) {
        removes.remove(attribute);
        sets.put(attribute, expression);
        return this;
    }

    /** Adds to a number (absent counts as 0) or to a set. */
    Update add(String attribute, AttributeValue v) {
        adds.put(attribute, value(v));
        return this;
    }

    Update remove(String attribute) {
        if (!sets.containsKey(attribute)) {
            removes.add(attribute);
        }
        return this;
    }

    /** Appends lines to a list attribute (creating it), so concurrent writers never overwrite each other's lines. */
    Update append(String attribute, List<String> lines) {
        if (lines.isEmpty()) {
            return this;
        }
        String n = name(attribute);
        String empty = value(AttributeValue.fromL(List.of()));
        String add = value(AttributeValue.fromL(lines.stream().map(Attr::s).toList()));
        return setExpression(attribute, "list_append(if_not_exists(" + n + ", " + empty + "), " + add + ")");
    }

    /** A condition clause, written with {@link #name} and {@link #value} placeholders; clauses are ANDed. */
    Update when(String clause) {
        conditions.add(clause);
        return this;
    }

    String expression() {
        StringBuilder b = new StringBuilder();
        if (!sets.isEmpty()) {
            b.append("SET ");
            int i = 0;
            for (var e : sets.entrySet()) {
                b.append(i++ == 0 ? "" : ", ").append(name(e.getKey())).append(" = ").append(e.getValue());
            }
        }
        if (!adds.isEmpty()) {
            b.append(b.isEmpty() ? "" : " ").append("ADD ");
            int i = 0;
            for (var e : adds.entrySet()) {
                b.append(i++ == 0 ? "" : ", ").append(name(e.getKey())).append(" ").append(e.getValue());
            }
        }
        if (!removes.isEmpty()) {
            b.append(b.isEmpty() ? "" : " ").append("REMOVE ");
            int i = 0;
            for (String r : removes) {
                b.append(i++ == 0 ? "" : ", ").append(name(r));
            }
        }
        return b.toString();
    }

    String condition() {
        return conditions.isEmpty() ? null : String.join(" AND ", conditions);
    }

    Map<String, String> names() {
        return names;
    }

    Map<String, AttributeValue> values() {
        return values.isEmpty() ? null : values;
    }
}
