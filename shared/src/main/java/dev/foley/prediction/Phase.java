package dev.foley.prediction;

/**
 * The internal phase that drives the work (docs/design.md, "The prediction's life"). Clients see only
 * {@link #status()}, which is exactly the hosted API's status vocabulary (plus {@code cancelled},
 * which the official SDKs already treat as final).
 */
public enum Phase {
    ACCEPTED("accepted", "created"),
    SUBMITTED("submitted", "processing"),
    UPSTREAM_DONE("upstream_done", "processing"),
    COMPLETED("completed", "completed"),
    FAILED("failed", "failed"),
    CANCELLED("cancelled", "cancelled");

    private final String code;
    private final String status;

    Phase(String code, String status) {
        this.code = code;
        this.status = status;
    }

    public String code() {
        return code;
    }

    public String status() {
        return status;
    }

    public boolean terminal() {
        return this == COMPLETED || this == FAILED || this == CANCELLED;
    }

    public static Phase fromCode(String code) {
        for (Phase p : values()) {
            if (p.code.equals(code)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown phase " + code);
    }
}
