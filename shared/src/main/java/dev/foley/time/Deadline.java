package dev.foley.time;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * A moment some work must be done by (a lease's end, an API request's budget), read against the
 * clock it was set with, so the time left is right whatever clock a caller (or a test) uses.
 */
public record Deadline(Clock clock, Instant at) {

    /** No deadline: only the calls' own timeouts bound them. */
    public static final Deadline NONE = new Deadline(Clock.systemUTC(), Instant.MAX);

    public static Deadline in(Clock clock, Duration d) {
        return new Deadline(clock, clock.instant().plus(d));
    }

    public static Deadline at(Clock clock, Instant at) {
        return new Deadline(clock, at);
    }

    public boolean none() {
        return at.equals(Instant.MAX);
    }

    /** The time left (never negative); a very long time when there is no deadline. */
    public Duration remaining() {
        if (none()) {
            return Duration.ofDays(365);
        }
        Duration d = Duration.between(clock.instant(), at);
        return d.isNegative() ? Duration.ZERO : d;
    }

    public boolean passed() {
        return !none() && !clock.instant().isBefore(at);
    }

    /** This deadline or {@code other}, whichever comes first. */
    public Deadline orEarlier(Instant other) {
        return other.isBefore(at) ? new Deadline(clock, other) : this;
    }

    /** This deadline moved earlier by {@code margin} (time kept to record the outcome). */
    public Deadline minus(Duration margin) {
        return none() ? this : new Deadline(clock, at.minus(margin));
    }
}
