package dev.foley.store;

/** The Idempotency-Key was used before with a different request. */
public final class IdempotencyConflictException extends Exception {
    public IdempotencyConflictException() {
        super("Idempotency-Key was already used with a different request", null, false, false);
    }
}
