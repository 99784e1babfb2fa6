package dev.foley.prediction;

import java.time.Instant;

/**
 * What a finished prediction still owes the outside world: its webhook (state, attempts made, when
 * the next is due) and, for an S3-triggered prediction, the result file beside the upload.
 */
public record Notifications(WebhookState webhookState, int webhookAttempts, Instant webhookDueAt, boolean resultFilePending) {

    public static final Notifications NONE = new Notifications(WebhookState.NONE, 0, null, false);

    public Notifications {
        webhookState = webhookState == null ? WebhookState.NONE : webhookState;
    }

    /** A webhook attempt is owed at or before {@code now}. */
    public boolean webhookDueBy(Instant now) {
        return webhookState == WebhookState.PENDING && (webhookDueAt == null || !webhookDueAt.isAfter(now));
    }
}
