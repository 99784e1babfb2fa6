package dev.foley.pipeline;

import dev.foley.prediction.Prediction;
import dev.foley.store.PredictionStore;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * The clock of the pipeline. Each tick makes one query of the {@code due} index per shard (items
 * due within the look-ahead, soonest first), runs {@link Pipeline#step} for those due now with
 * bounded concurrency (virtual threads), and learns when the next one falls due. A scheduled run
 * keeps ticking while anything falls due within its budget, then ends; with nothing due it ends
 * after one tick. Overlapping runs are safe: every step is a conditional write.
 */
public final class Poller {

    /** What one tick did. */
    public record Tick(int processed, Optional<Instant> nextDue) {
    }

    private static final System.Logger LOG = System.getLogger("foley.poller");
    static final int PAGE = 500;

    private final PredictionStore store;
    private final Pipeline pipeline;
    private final Clock clock;
    private final int concurrency;
    private final Duration lookahead;

    public Poller(PredictionStore store, Pipeline pipeline, Clock clock, int concurrency, Duration lookahead) {
        this.store = store;
        this.pipeline = pipeline;
        this.clock = clock;
        this.concurrency = concurrency;
        this.lookahead = lookahead;
    }

    public Tick tick() {
        Instant now = clock.instant();
        List<Prediction> dueNow = new ArrayList<>();
        Instant next = null;
        for (int shard = 0; shard < store.dueShards(); shard++) {
            for (PredictionStore.Due d : store.due(shard, now.plus(lookahead), PAGE)) {
                if (!d.dueAt().isAfter(now)) {
                    dueNow.add(d.prediction());
                } else if (next == null || d.dueAt().isBefore(next)) {
                    next = d.dueAt();
                }
            }
        }
        if (!dueNow.isEmpty()) {
            run(dueNow);
        }
        return new Tick(dueNow.size(), Optional.ofNullable(next));
    }

    private void run(List<Prediction> due) {
        Semaphore permits = new Semaphore(concurrency);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> work = new ArrayList<>();
            for (Prediction p : due) {
                work.add(threads.submit(() -> {
                    permits.acquireUninterruptibly();
                    try {
                        pipeline.step(p);
                    } catch (RuntimeException e) {
                        // One bad item never stops the others; it stays due and is tried again.
                        LOG.log(Level.ERROR, "step failed for prediction " + p.id(), e);
                    } finally {
                        permits.release();
                    }
                }));
            }
            for (Future<?> f : work) {
                try {
                    f.get();
                } catch (Exception e) {
                    LOG.log(Level.ERROR, "poller task failed", e);
                }
            }
        }
    }

    /**
     * Ticks until nothing falls due within {@code budget} from the start (a scheduled run's
     * minute), sleeping until the next due item but never longer than {@code maxSleep}.
     * Returns the number of steps run.
     */
    public int runFor(Duration budget, Duration maxSleep) throws InterruptedException {
        Instant end = clock.instant().plus(budget);
        int total = 0;
        while (true) {
            Tick t = tick();
            total += t.processed();
            Instant now = clock.instant();
            if (t.processed() > 0 && now.isBefore(end)) {
                continue; // there may be more behind a full page, or follow-ups due at once
            }
            if (t.nextDue().isEmpty() || !t.nextDue().get().isBefore(end)) {
                return total;
            }
            Duration wait = Duration.between(now, t.nextDue().get());
            if (wait.compareTo(maxSleep) > 0) {
                wait = maxSleep;
            }
            if (!wait.isNegative()) {
                Thread.sleep(wait.toMillis() + 1);
            }
        }
    }
}
