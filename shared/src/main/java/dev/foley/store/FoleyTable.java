package dev.foley.store;

/**
 * The single-table layout (docs/design.md, "Table design"). Key prefixes and attribute names live here
 * and nowhere else; {@code template.yaml} declares the same keys and indexes.
 */
public final class FoleyTable {

    public static final String PK = "PK";
    public static final String SK = "SK";
    public static final String EXPIRES_AT = "expires_at";

    public static final String DUE_INDEX = "due";
    public static final String DUE_SHARD = "due_shard";
    public static final String DUE_AT = "due_at";

    public static final String BY_KEY_INDEX = "by_key";
    public static final String KEY_ID = "key_id";
    public static final String CREATED_AT = "created_at";

    static final String PREDICTION_PREFIX = "P#";
    static final String PREDICTION_SK = "P";
    static final String KEY_PREFIX = "K#";
    static final String KEY_SK = "K";
    static final String IDEMPOTENCY_PREFIX = "I#";
    static final String IDEMPOTENCY_SK = "I";

    private FoleyTable() {
    }
}
