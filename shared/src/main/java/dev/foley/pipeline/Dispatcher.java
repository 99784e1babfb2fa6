package dev.foley.pipeline;

import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.provider.InferenceProvider;
import dev.foley.provider.ProviderChain;
import dev.foley.provider.ProviderException;
import dev.foley.store.PredictionStore;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Hands an accepted prediction to a provider: {@code accepted → submitted} on success (due again
 * at the job's expected finish, for the first status check), {@code failed} when the provider
 * rejects the input, and still {@code accepted} but due later, with backoff, when it fails in a
 * way that may pass. Used by the API right after a submit and by the poller for retries.
 */
public final class Dispatcher {

    private static final System.Logger LOG = System.getLogger("foley.dispatch");
    static final Duration MAX_BACKOFF = Duration.ofSeconds(60);
    static final int MAX_LOGGED_ATTEMPTS = 20;

    private final PredictionStore store;
    private final ProviderChain providers;
    private final Clock clock;
    private final Optional<String> callbackBase;

    public Dispatcher(PredictionStore store, ProviderChain providers, Clock clock, Optional<String> callbackBase) {
        this.store = store;
        this.providers = providers;
        this.clock = clock;
        this.callbackBase = callbackBase;
    }

    public ProviderChain providers() {
        return providers;
    }

    /** Submits {@code p} (phase accepted) and returns its new state. */
    public Prediction submit(Prediction p) {
        if (p.phase() != Phase.ACCEPTED) {
            return p;
        }
        try {
            ProviderChain.Submitted s = providers.submit(p.request(),
                    name -> callbackBase.map(b -> URI.create(b + "/internal/callbacks/" + name + "/" + p.id())));
            Instant firstCheck = clock.instant().plus(s.provider().expectedDuration(p.request()));
            Optional<Prediction> moved = store.transition(p, Phase.SUBMITTED, new PredictionStore.Change()
                    .set("provider", s.provider().name())
                    .set("provider_job", s.job().toJson())
                    .set("attempts", log(p, s.attempts()))
                    .set("submitted_at", clock.instant().toEpochMilli())
                    .due(firstCheck));
            if (moved.isPresent()) {
                return moved.get();
            }
            // Someone else moved it meanwhile (a cancel, another submitter): this job is an orphan.
            cancelQuietly(s.provider(), s);
            return store.get(p.id()).orElse(p);
        } catch (ProviderException e) {
            return failedSubmit(p, e);
        }
    }

    private Prediction failedSubmit(Prediction p, ProviderException e) {
        if (e.kind() == ProviderException.Kind.REJECTED) {
            return store.transition(p, Phase.FAILED, new PredictionStore.Change()
                    .error(e.getMessage()).set("attempts", log(p, e.attempts())))
                    .orElseGet(() -> store.get(p.id()).orElse(p));
        }
        if (e.kind() == ProviderException.Kind.CONFIGURATION) {
            LOG.log(Level.ERROR, "provider credentials refused for prediction {0}: {1} (fix the provider key)",
                    p.id(), e.getMessage());
        }
        // Back off in proportion to the prediction's age: 1 s at first, growing to a minute.
        Duration age = Duration.between(p.createdAt(), clock.instant());
        Duration backoff = age.dividedBy(2);
        backoff = backoff.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1)
                : backoff.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff;
        if (e.retryAfter().isPresent() && e.retryAfter().get().compareTo(backoff) > 0) {
            backoff = e.retryAfter().get().compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : e.retryAfter().get();
        }
        return store.transition(p, Phase.ACCEPTED, new PredictionStore.Change()
                .set("attempts", log(p, e.attempts()))
                .due(clock.instant().plus(backoff)))
                .orElseGet(() -> store.get(p.id()).orElse(p));
    }

    private void cancelQuietly(InferenceProvider provider, ProviderChain.Submitted s) {
        try {
            provider.cancel(s.job());
        } catch (ProviderException | RuntimeException e) {
            LOG.log(Level.WARNING, "could not cancel orphaned job {0} at {1}: {2}", s.job().id(), provider.name(), e.getMessage());
        }
    }

    /** The prediction's attempt log with these lines added, kept to its last entries. */
    private List<String> log(Prediction p, List<String> lines) {
        List<String> all = new ArrayList<>(p.attempts());
        String at = clock.instant().toString();
        for (String l : lines) {
            all.add(at + " " + l);
        }
        return all.size() > MAX_LOGGED_ATTEMPTS ? all.subList(all.size() - MAX_LOGGED_ATTEMPTS, all.size()) : all;
    }
}
