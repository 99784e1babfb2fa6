package dev.foley.pipeline;

/**
 * Work under a step's claim that failed (a copy, a cut, the media work): why, and whether trying
 * again at the step's retry time may help. The claimed-step block records either the same way.
 */
public abstract class StepException extends Exception {

    private final boolean retryable;

    protected StepException(String message, boolean retryable) {
        super(message, null, false, false);
        this.retryable = retryable;
    }

    public boolean retryable() {
        return retryable;
    }
}
