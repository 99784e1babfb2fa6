package dev.foley.store;

/** The table could not be reached or throttled us: the caller may retry; nothing was lost. */
public final class StoreUnavailableException extends RuntimeException {
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
