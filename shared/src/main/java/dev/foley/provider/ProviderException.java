package dev.foley.provider;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A provider call that did not succeed, classified so the caller knows what to do:
 * {@link Kind#RETRYABLE} (timeouts, 408, 429, 5xx, a dropped connection, a garbled 2xx),
 * {@link Kind#CONFIGURATION} (401/403: our key is wrong; logged loudly), {@link Kind#REJECTED}
 * (400/422: the provider refused the input) or {@link Kind#NOT_FOUND} (the provider does not know
 * the job). The message is for operators (it may quote the provider at length); {@link #clientReason}
 * is what a client may read.
 */
public final class ProviderException extends Exception {

    public enum Kind { RETRYABLE, CONFIGURATION, REJECTED, NOT_FOUND }

    private final Kind kind;
    private final int httpStatus;
    private final transient Optional<Duration> retryAfter;
    private final boolean maybeCreated;
    private final transient List<String> attempts;
    private final String clientReason;

    public ProviderException(Kind kind, String message, int httpStatus, Optional<Duration> retryAfter,
            boolean maybeCreated, List<String> attempts) {
        this(kind, message, httpStatus, retryAfter, maybeCreated, attempts, null);
    }

    public ProviderException(Kind kind, String message, int httpStatus, Optional<Duration> retryAfter,
            boolean maybeCreated, List<String> attempts, String clientReason) {
        super(message, null, false, false);
        this.kind = kind;
        this.httpStatus = httpStatus;
        this.retryAfter = retryAfter;
        this.maybeCreated = maybeCreated;
        this.attempts = List.copyOf(attempts);
        this.clientReason = clientReason;
    }

    public static ProviderException retryable(String message) {
        return new ProviderException(Kind.RETRYABLE, message, 0, Optional.empty(), false, List.of());
    }

    /** The provider refused the input; {@code reason} is already fit for a client. */
    public static ProviderException rejected(String reason) {
        return new ProviderException(Kind.REJECTED, reason, 0, Optional.empty(), false, List.of(), reason);
    }

    public Kind kind() {
        return kind;
    }

    public boolean retryable() {
        return kind == Kind.RETRYABLE;
    }

    public int httpStatus() {
        return httpStatus;
    }

    /** What the provider asked for (Retry-After), if anything. */
    public Optional<Duration> retryAfter() {
        return retryAfter;
    }

    /** The request was sent and may have created a job whose id we never learned. */
    public boolean maybeCreated() {
        return maybeCreated;
    }

    /** One line per attempt made, for the prediction's record. */
    public List<String> attempts() {
        return attempts;
    }

    /** A short reason a client may read: category, status, a safe excerpt of the provider's words. */
    public String clientReason() {
        if (clientReason != null) {
            return clientReason;
        }
        return switch (kind) {
            case REJECTED -> ProviderErrors.rejected(httpStatus, getMessage());
            case CONFIGURATION -> "the inference provider refused Foley's credentials";
            case NOT_FOUND -> "the inference provider no longer knows the job";
            case RETRYABLE -> "the inference provider is unavailable" + (httpStatus > 0 ? " (HTTP " + httpStatus + ")" : "");
        };
    }

    public ProviderException withAttempts(List<String> all) {
        return new ProviderException(kind, getMessage(), httpStatus, retryAfter, maybeCreated, all, clientReason);
    }
}
