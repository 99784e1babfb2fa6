package dev.foley.prediction;

/** Where a prediction's webhook delivery is. */
public enum WebhookState {
    /** No webhook, or the prediction has not ended yet. */
    NONE(""),
    /** Owed: an attempt is due (now, or at the retry time). */
    PENDING("pending"),
    DELIVERED("delivered"),
    /** Every scheduled attempt failed. */
    GAVE_UP("gave_up");

    private final String code;

    WebhookState(String code) {
        this.code = code;
    }

    /** The value stored in the table ({@code ""} is stored as absent). */
    public String code() {
        return code;
    }

    public static WebhookState fromCode(String code) {
        if (code == null || code.isEmpty()) {
            return NONE;
        }
        for (WebhookState s : values()) {
            if (s.code.equals(code)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown webhook state " + code);
    }
}
