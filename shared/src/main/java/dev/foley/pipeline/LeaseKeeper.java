package dev.foley.pipeline;

import dev.foley.prediction.Prediction;
import dev.foley.store.PredictionStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Keeps a long step's lease short and alive: the step is claimed for {@link #HELD} only, and
 * while it runs this renews the lease every {@link #EVERY}. A holder that dies (a {@code kill -9},
 * a Lambda timeout, an out-of-memory) stops renewing, so its step is free again within
 * {@link #HELD} instead of after the step's whole budget (minutes for a copy or media work).
 * A renewal that finds the claim gone (cancelled, taken over) stops; the step's own record, made
 * on the claimed version, then fails as it would have anyway.
 */
final class LeaseKeeper implements AutoCloseable {

    /** How long a long step's lease runs between renewals. */
    static final Duration HELD = Duration.ofSeconds(45);
    /** How often it is renewed (three chances before it lapses). */
    static final Duration EVERY = Duration.ofSeconds(15);

    private final Thread thread;

    private LeaseKeeper(Thread thread) {
        this.thread = thread;
    }

    static LeaseKeeper keep(PredictionStore store, Prediction claimed, Clock clock) {
        Instant first = claimed.lease() == null ? null : claimed.lease().until();
        if (first == null) {
            return new LeaseKeeper(null);
        }
        return new LeaseKeeper(Thread.ofVirtual().name("foley-lease-" + claimed.id()).start(() -> {
            Instant until = first;
            while (true) {
                try {
                    Thread.sleep(EVERY);
                    Instant next = clock.instant().plus(HELD);
                    if (!next.isAfter(until) || !store.renewLease(claimed, until, next)) {
                        return;
                    }
                    until = next;
                } catch (InterruptedException done) {
                    return;
                } catch (RuntimeException failed) {
                    // the table did not answer: try again at the next beat, while the lease still runs
                    if (clock.instant().isAfter(until)) {
                        return;
                    }
                }
            }
        }));
    }

    /** The step is over (recorded or not): no more renewals. */
    @Override
    public void close() {
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(Duration.ofSeconds(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
