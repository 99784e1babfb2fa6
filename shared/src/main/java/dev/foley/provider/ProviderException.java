package dev.foley.provider;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A provider call that did not succeed, classified so the caller knows what to do:
 * {@link Kind#RETRYABLE} (timeouts, 408, 429, 5xx, a dropped connection, a garbled 2xx),
 * {@link Kind#CONFIGURATION} (401/403: our key is wrong; logged loudly), or {@link Kind#REJECTED}
 * (400/422: the provider refused the input; the message goes to the client).
 */
public final class ProviderException extends Exception {

    public enum Kind { RETRYABLE, CONFIGURATION, REJECTED }

    private final Kind kind;
    private final int httpStatus;
    private final transient Optional<Duration> retryAfter;
    private final boolean maybeCreated;
    private final transient List<String> attempts;

    public ProviderException(Kind kind, String message, int httpStatus, Optional<Duration> retryAfter,
            boolean maybeCreated, List<String> attempts) {
        super(message, null, false, false);
        this.kind = kind;
        this.httpStatus = httpStatus;
        this.retryAfter = retryAfter;
        this.maybeCreated = maybeCreated;
        this.attempts = List.copyOf(attempts);
    }

    public static ProviderException retryable(String message) {
        return new ProviderException(Kind.RETRYABLE, message, 0, Optional.empty(), false, List.of());
    }

    public static ProviderException rejected(String message) {
        return new ProviderException(Kind.REJECTED, message, 0, Optional.empty(), false, List.of());
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

    public ProviderException withAttempts(List<String> all) {
        return new ProviderException(kind, getMessage(), httpStatus, retryAfter, maybeCreated, all);
    }
}
