package dev.foley.provider;

/** A push notification that is forged, stale, malformed or not for us. */
public final class InvalidCallbackException extends Exception {
    public InvalidCallbackException(String message) {
        super(message, null, false, false);
    }
}
