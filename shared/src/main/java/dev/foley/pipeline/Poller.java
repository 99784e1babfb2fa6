package dev.foley.pipeline;

import dev.foley.prediction.Prediction;
import dev.foley.store.PredictionStore;
import dev.foley.time.Deadline;
import dev.foley.time.Sleeper;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The clock of the pipeline. Each tick reads the {@code due} index per shard (a page of what is due
 * now, and a one-item read of what falls due next) and starts a step for each prediction due now, each on
 * its own virtual thread, at most {@code concurrency} at once, without waiting for them: one slow
 * provider call holds up only its own prediction. What is due beyond the free slots waits in a
 * backlog, started as steps end, so a busy tick does not query the index again. A prediction whose
 * step is still running here is not started again; one whose step another process holds (a live
 * lease) is skipped until the lease ends. A scheduled run keeps ticking while anything falls due
 * within its budget, then waits for the steps it started; with nothing due it ends after one tick.
 */
public final class Poller {

    /** What one tick did: steps started, and when the next prediction falls due. */
    public record Tick(int started, Optional<Instant> nextDue) {
    }

    private static final dev.foley.obs.Log.Logger LOG = dev.foley.obs.Log.logger("foley.poller");
    static final int PAGE = 500;

    private final PredictionStore store;
    private final Pipeline pipeline;
    private final Clock clock;
    private final Sleeper sleeper;
    private final Duration lookahead;
    private final Semaphore slots;
    private final int concurrency;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    /** Due now, found by a query, not yet started for want of a slot; with when it was found. */
    private final java.util.concurrent.ConcurrentLinkedDeque<Found> backlog = new java.util.concurrent.ConcurrentLinkedDeque<>();
    private volatile Deadline backlogUntil = Deadline.NONE;

    private record Found(Prediction prediction, Instant at) {
    }

    /** A backlog entry older than this is dropped (the index is asked again): its read may be stale. */
    static final Duration BACKLOG_TTL = Duration.ofSeconds(10);
    /**
     * The version each prediction's last step here left it at: a read of the index that shows an
     * older version predates the step's record (a query racing the step's end, or the index's
     * eventual consistency) and would run the step again before its time, so it is not started.
     */
    private final java.util.Map<String, Seen> ended = new ConcurrentHashMap<>();

    private record Seen(long version, Instant at) {
    }
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Object progress = new Object();

    public Poller(PredictionStore store, Pipeline pipeline, Clock clock, Sleeper sleeper, int concurrency, Duration lookahead) {
        this.store = store;
        this.pipeline = pipeline;
        this.clock = clock;
        this.sleeper = sleeper;
        this.concurrency = concurrency;
        this.slots = new Semaphore(concurrency);
        this.lookahead = lookahead;
    }

    /**
     * One tick whose steps may run until {@code until} (the end of this poller's invocation): per
     * shard, one query for what is due now and one single-item read for what falls due next.
     */
    public Tick tick(Deadline until) {
        backlogUntil = until;
        Instant now = clock.instant();
        if (!backlog.isEmpty()) {
            int started = startFromBacklog(until);
            if (!backlog.isEmpty() || started > 0) {
                return new Tick(started, Optional.empty()); // still busy with what the last query found
            }
        }
        if (busy()) {
            return new Tick(0, Optional.empty()); // nothing much could start: ask the index when slots free up
        }
        // Per shard, a page of what is due now (claimed ones are due only when their lease ends, so
        // they are not in it), and a one-item read of when the next falls due. A full page means more
        // is due: the next tick comes at once.
        Instant next = null;
        List<Found> found = new ArrayList<>();
        ended.values().removeIf(e -> e.at().isBefore(now.minus(BACKLOG_TTL).minus(BACKLOG_TTL)));
        for (int shard = 0; shard < store.dueShards(); shard++) {
            List<Prediction> due = store.due(shard, now, PAGE);
            if (due.size() >= PAGE) {
                next = now;
            }
            for (Prediction p : due) {
                if (p.leasedAt(now)) {
                    next = earlier(next, p.lease().until()); // its holder is at it: look again when the lease ends
                } else if (stale(p)) {
                    next = earlier(next, now.plus(STALE_LOOK)); // this read predates its last step's record: look again
                } else if (!inFlight.contains(p.id())) {
                    found.add(new Found(p, now));
                }
            }
            Optional<Instant> later = store.nextDueAfter(shard, now);
            if (later.isPresent() && !later.get().isAfter(now.plus(lookahead))) {
                next = earlier(next, later.get());
            }
        }
        // The backlog (what is due and not held) and how late the oldest of it is.
        if (!found.isEmpty()) { // an idle tick writes nothing (local mode ticks ten times a second)
            dev.foley.obs.Metrics.put(dev.foley.obs.Metrics.Metric.PollerBacklog, found.size());
        }
        found.stream().map(f -> f.prediction().dueAt()).filter(java.util.Objects::nonNull).min(Instant::compareTo)
                .ifPresent(oldest -> dev.foley.obs.Metrics.put(dev.foley.obs.Metrics.Metric.PollerLag,
                        Math.max(0, Duration.between(oldest, now).toMillis())));
        // All of these are due now; in a random order, overlapping pollers mostly claim different ones.
        Collections.shuffle(found);
        // Except predictions waiting for a provider's free slot: those are handed over one after
        // another, oldest first, on one thread, until one finds the provider still full.
        List<Found> waiters = new ArrayList<>();
        found.removeIf(f -> f.prediction().queuedAt() != null && f.prediction().phase() == dev.foley.prediction.Phase.ACCEPTED
                && waiters.add(f));
        waiters.sort(java.util.Comparator.comparing((Found f) -> f.prediction().createdAt()));
        backlog.addAll(found);
        int started = startWaiters(waiters, until) + startFromBacklog(until);
        return new Tick(started, Optional.ofNullable(next));
    }

    /** Too few free slots for a query to be worth it (steps that end will free more). */
    private boolean busy() {
        return slots.availablePermits() * 4 < concurrency && !inFlight.isEmpty();
    }

    private static Instant earlier(Instant a, Instant b) {
        return a == null || b.isBefore(a) ? b : a;
    }

    private int startFromBacklog(Deadline until) {
        int started = 0;
        Instant now = clock.instant();
        Found f;
        while (slots.availablePermits() > 0 && (f = backlog.poll()) != null) {
            if (Duration.between(f.at(), now).compareTo(BACKLOG_TTL) > 0) {
                backlog.clear(); // stale: the next tick asks the index again
                break;
            }
            if (stale(f.prediction())) {
                continue; // stepped since it was read: the index is asked again
            }
            if (start(f.prediction(), until)) {
                started++;
            }
        }
        return started;
    }

    /** One tick, then waits for the steps it started (tests and benchmarks read their results). */
    public Tick tickAndWait() {
        Tick t = tick(Deadline.NONE);
        drain(Deadline.in(clock, Duration.ofMinutes(2)));
        return t;
    }

    /** Waiters for a provider's slot, in order, on one of this poller's slots: each goes only after the one before it went. */
    private int startWaiters(List<Found> waiters, Deadline until) {
        List<Prediction> mine = new ArrayList<>();
        for (Found f : waiters) {
            if (inFlight.add(f.prediction().id())) {
                mine.add(f.prediction());
            }
        }
        if (mine.isEmpty()) {
            return 0;
        }
        if (!slots.tryAcquire()) {
            mine.forEach(p -> inFlight.remove(p.id()));
            return 0;
        }
        threads.submit(() -> {
            try {
                for (Prediction p : mine) {
                    Prediction after = null;
                    try {
                        after = pipeline.advance(p, Pipeline.Mode.WORKER, until);
                    } catch (RuntimeException e) {
                        LOG.log(Level.ERROR, "step failed for prediction " + p.id(), e);
                        dev.foley.obs.Metrics.put(dev.foley.obs.Metrics.Metric.StepErrors, 1);
                        break;
                    } finally {
                        seen(after);
                        inFlight.remove(p.id());
                    }
                    if (after != null && after.phase() == dev.foley.prediction.Phase.ACCEPTED && after.slot() == null) {
                        break; // still full: the rest keep their turn for the next tick
                    }
                }
            } finally {
                mine.forEach(p -> inFlight.remove(p.id()));
                slots.release();
                synchronized (progress) {
                    progress.notifyAll();
                }
            }
        });
        return 1;
    }

    /** A stale read is looked at again this soon (the index catches up within it). */
    static final Duration STALE_LOOK = Duration.ofMillis(500);

    /** Whether {@code p} as read is older than what a step here last left it at. */
    private boolean stale(Prediction p) {
        Seen e = ended.get(p.id());
        return e != null && p.version() < e.version();
    }

    private void seen(Prediction after) {
        if (after != null) {
            ended.merge(after.id(), new Seen(after.version(), clock.instant()), (a, b) -> a.version() >= b.version() ? a : b);
        }
    }

    /** Starts a step for {@code p} unless one is running here already or every slot is taken. */
    private boolean start(Prediction p, Deadline until) {
        if (!inFlight.add(p.id())) {
            return false;
        }
        if (!slots.tryAcquire()) {
            inFlight.remove(p.id());
            return false; // still due: the next tick takes it
        }
        threads.submit(() -> {
            Prediction after = null;
            try {
                after = pipeline.advance(p, Pipeline.Mode.WORKER, until);
            } catch (RuntimeException e) {
                // One bad item never stops the others; it stays due and is tried again.
                LOG.log(Level.ERROR, "step failed for prediction " + p.id(), e);
                dev.foley.obs.Metrics.put(dev.foley.obs.Metrics.Metric.StepErrors, 1);
            } finally {
                seen(after); // before it may be found again
                inFlight.remove(p.id());
                slots.release();
                if (!backlog.isEmpty()) {
                    startFromBacklog(backlogUntil);
                }
                synchronized (progress) {
                    progress.notifyAll();
                }
            }
        });
        return true;
    }

    /** Steps started here and not finished. */
    public int inFlight() {
        return inFlight.size();
    }

    /** Waits until every step started here (and the backlog) has ended, or {@code until} passes. */
    public void drain(Deadline until) {
        while ((!inFlight.isEmpty() || !backlog.isEmpty()) && !until.passed() && !Thread.currentThread().isInterrupted()) {
            if (!backlog.isEmpty() && slots.availablePermits() > 0) {
                startFromBacklog(backlogUntil);
            }
            waitForProgress(Duration.ofMillis(Math.min(200, Math.max(1, until.remaining().toMillis()))));
        }
    }

    /**
     * Ticks until nothing falls due within {@code budget} from the start (a scheduled run's
     * minute), sleeping until the next due item (or a step's end) but never longer than
     * {@code maxSleep}; then waits for its steps, which may run until {@code stepsUntil}.
     * Returns the number of steps started.
     */
    public int runFor(Duration budget, Duration maxSleep, Deadline stepsUntil) throws InterruptedException {
        Instant end = clock.instant().plus(budget);
        int total = 0;
        try {
            while (true) {
                Tick t = tick(stepsUntil);
                total += t.started();
                Instant now = clock.instant();
                boolean idle = inFlight.isEmpty() && backlog.isEmpty();
                if (!now.isBefore(end) || (idle && (t.nextDue().isEmpty() || !t.nextDue().get().isBefore(end)))) {
                    return total;
                }
                if (!backlog.isEmpty() || busy()) {
                    // Steps that end start the backlog themselves, and free slots: wake when one ends.
                    waitForProgress(maxSleep);
                } else {
                    // Sleep until the next due time (at most maxSleep); not woken by every step's end.
                    Instant wake = t.nextDue().filter(d -> d.isBefore(now.plus(maxSleep))).orElse(now.plus(maxSleep));
                    sleeper.sleepUntil(wake.plusMillis(1));
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
        } finally {
            backlog.clear(); // not started: still due, for the next run
            drain(stepsUntil);
        }
    }

    private void waitForProgress(Duration max) {
        synchronized (progress) {
            try {
                TimeUnit.MILLISECONDS.timedWait(progress, Math.max(1, max.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public int concurrency() {
        return concurrency;
    }
}
