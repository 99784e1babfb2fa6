package dev.foley.time;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * How code that waits for a moment waits: the real one sleeps, a test's moves its clock. Nothing
 * in Foley calls {@code Thread.sleep} to wait for a time; it asks its sleeper.
 */
@FunctionalInterface
public interface Sleeper {

    /** Returns once {@code t} has come (at once if it has). */
    void sleepUntil(Instant t) throws InterruptedException;

    /** Sleeps on the wall clock until {@code clock} reads {@code t}. */
    static Sleeper of(Clock clock) {
        return t -> {
            Duration d = Duration.between(clock.instant(), t);
            if (!d.isNegative() && !d.isZero()) {
                Thread.sleep(Math.max(1, d.toMillis()));
            }
        };
    }
}
