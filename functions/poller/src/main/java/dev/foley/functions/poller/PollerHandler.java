package dev.foley.functions.poller;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.foley.Foley;
import dev.foley.pipeline.Poller;
import dev.foley.time.Deadline;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.crac.Core;
import org.crac.Resource;

/**
 * EventBridge Scheduler, {@code rate(1 minute)}: ticks the pipeline until nothing is due within
 * the minute (sub-minute ticking), then ends. With nothing due it is two small reads per shard.
 * The event itself (read as a map) says nothing the run needs.
 */
public final class PollerHandler implements RequestHandler<Map<String, Object>, String>, Resource {

    /** Leave the next scheduled run its minute, and this one time to finish its steps. */
    static final Duration BUDGET = Duration.ofSeconds(50);
    static final Duration MAX_SLEEP = Duration.ofSeconds(5);
    /** A step started at the end of the budget gets this long to finish (a submit's 20 s answer, then its record). */
    static final Duration STEP_TAIL = Duration.ofSeconds(25);

    private final Poller poller;

    public PollerHandler() {
        this(Foley.fromEnvironment(System.getenv()).poller(32, Duration.ofSeconds(60)));
        Core.getGlobalContext().register(this);
    }

    public PollerHandler(Poller poller) {
        this.poller = poller;
    }

    @Override
    public String handleRequest(Map<String, Object> event, Context context) {
        // Every line this invocation logs carries its Lambda request id (and, for the API, API Gateway's).
        try (var scope = dev.foley.obs.Log.invocation(context == null ? null : context.getAwsRequestId(), null)) {
            return handle(event, context);
        }
    }

    private String handle(Map<String, Object> event, Context context) {
        Duration budget = BUDGET;
        Duration steps = BUDGET.plus(STEP_TAIL);
        if (context != null && context.getRemainingTimeInMillis() > 0) {
            Duration remaining = Duration.ofMillis(context.getRemainingTimeInMillis());
            Duration left = remaining.minus(STEP_TAIL).minusSeconds(5);
            budget = left.compareTo(budget) < 0 ? left : budget;
            steps = remaining.minusSeconds(5);
        }
        try {
            // Steps started late in the run may take until just before the function's own timeout.
            int started = poller.runFor(budget.isNegative() ? Duration.ZERO : budget, MAX_SLEEP,
                    Deadline.in(Clock.systemUTC(), steps.isNegative() ? Duration.ZERO : steps));
            return "{\"steps\":" + started + "}";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "{\"interrupted\":true}";
        }
    }

    /** SnapStart priming: one tick reads the due index (no writes when nothing is due). */
    @Override
    public void beforeCheckpoint(org.crac.Context<? extends Resource> context) {
        try {
            poller.tick(Deadline.in(Clock.systemUTC(), Duration.ofSeconds(5)));
        } catch (RuntimeException ignored) {
            // best effort
        }
    }

    @Override
    public void afterRestore(org.crac.Context<? extends Resource> context) {
        // nothing captured at init
    }
}
