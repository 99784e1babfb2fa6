package dev.foley.local;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock tests move by hand: it follows real time, plus whatever the test added. */
public final class TestClock extends Clock {

    private volatile Duration offset = Duration.ZERO;

    public void advance(Duration d) {
        offset = offset.plus(d);
    }

    /** Moves forward to {@code t} if it is in this clock's future. */
    public void advanceTo(Instant t) {
        Duration d = Duration.between(instant(), t);
        if (!d.isNegative()) {
            advance(d.plusMillis(1));
        }
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return Instant.now().plus(offset);
    }
}
