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
 * A renewal that finds the claim gone (cancelled, deleted, taken over) stops, and interrupts the
 * step's thread: a fetch in progress ends at its next read (the work is no longer anyone's), and
 * the step's own record, made on the claimed version, then fails as it would have anyway.
 */
final class LeaseKeeper implements AutoCloseable {

    /** How long a long step's lease runs between renewals. */
    static final Duration HELD = Duration.ofSeconds(45);
    /** How often it is renewed (three chances before it lapses). */
    static final Duration EVERY = Duration.ofSeconds(15);

    private final Thread thread;
    private final Thread worker;
    private final java.util.concurrent.atomic.AtomicBoolean lost;

    private LeaseKeeper(Thread thread, Thread worker, java.util.concurrent.atomic.AtomicBoolean lost) {
        this.thread = thread;
        this.worker = worker;
        this.lost = lost;
    }

    static LeaseKeeper keep(PredictionStore store, Prediction claimed, Clock clock, dev.foley.time.Sleeper sleeper) {
        Instant first = claimed.lease() == null ? null : claimed.lease().until();
        Thread worker = Thread.currentThread();
        var lost = new java.util.concurrent.atomic.AtomicBoolean();
        if (first == null) {
            return new LeaseKeeper(null, worker, lost);
        }
        Thread keeper = Thread.ofVirtual().name("foley-lease-" + claimed.id()).unstarted(() -> {
            Instant until = first;
            while (true) {
                try {
                    sleeper.sleepUntil(clock.instant().plus(EVERY));
                    Instant next = clock.instant().plus(HELD);
                    if (!next.isAfter(until)) {
                        return;
                    }
                    if (!store.moves().renewLease(claimed, until, next)) {
                        // The claim is gone (a cancel, a delete, a take-over): stop the work it was for,
                        // unless the step has ended meanwhile (its thread is on to other work).
                        synchronized (lost) {
                            if (!Thread.currentThread().isInterrupted()) {
                                lost.set(true);
                                worker.interrupt();
                            }
                        }
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
        });
        keeper.start();
        return new LeaseKeeper(keeper, worker, lost);
    }

    /** The step is over (recorded or not): no more renewals. */
    @Override
    public void close() {
        if (thread != null) {
            synchronized (lost) {
                thread.interrupt(); // from here on the keeper interrupts nobody
            }
            try {
                thread.join(Duration.ofSeconds(2));
            } catch (InterruptedException e) {
                if (!lost.get()) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        if (lost.get() && Thread.currentThread() == worker) {
            Thread.interrupted(); // our own interrupt, done with: the step records (or fails to) as usual
        }
    }
}
