package dev.foley.prediction;

import java.time.Instant;

/**
 * Who holds a prediction's current step, and until when. A step with an effect outside the table
 * (a provider submit, a cancel, a webhook attempt, a copy) is claimed first: a conditional write
 * that stores a lease. Only its holder acts; anybody else waits for it to end, and may take the
 * step over once it has expired (its holder crashed or was frozen).
 */
public record Lease(String owner, Instant until) {

    public boolean liveAt(Instant now) {
        return until.isAfter(now);
    }
}
