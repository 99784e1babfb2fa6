package dev.foley.provider;

import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.ProviderJob;
import dev.foley.time.Deadline;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The configured providers in order: the primary first, then the fallbacks. A submit that surely
 * made no job (refused connection, 429, 5xx, refused credentials) moves on to the next; an input
 * rejection stops, since another provider would only refuse it again or, worse, charge for it; and
 * so does a submit that may have made a job: sending it elsewhere would make a second one.
 */
public final class ProviderChain {

    /** What one pass along the chain came to. */
    public sealed interface Outcome {
        List<String> attempts();

        record Started(InferenceProvider provider, ProviderJob job, List<String> attempts) implements Outcome {
        }

        /** The input was refused; {@code reason} is fit for the client. */
        record Rejected(String reason, List<String> attempts) implements Outcome {
        }

        /** No job we know of; {@code maybeCreated}: one may exist anyway. */
        record NotStarted(boolean maybeCreated, Optional<Duration> retryAfter, List<String> attempts) implements Outcome {
        }
    }

    private final List<InferenceProvider> order;
    private final dev.foley.model.Catalog catalog;
    private volatile InputStaging staging = InputStaging.NONE;

    public ProviderChain(List<InferenceProvider> order) {
        this(order, dev.foley.model.Catalog.of(order.stream().map(InferenceProvider::name).toList()));
    }

    /** The providers in order, and which of them serve each model ({@code catalog}). */
    public ProviderChain(List<InferenceProvider> order, dev.foley.model.Catalog catalog) {
        if (order.isEmpty()) {
            throw new IllegalArgumentException("at least one provider");
        }
        this.order = List.copyOf(order);
        this.catalog = catalog;
    }

    /** The models served, and by which providers. */
    public dev.foley.model.Catalog catalog() {
        return catalog;
    }

    /** The providers that serve {@code request}'s model, first to last. */
    List<InferenceProvider> candidates(PredictionRequest request) {
        List<InferenceProvider> out = new ArrayList<>();
        for (String name : catalog.providersFor(request.spec())) {
            byName(name).ifPresent(out::add);
        }
        return out;
    }

    /** How inputs the providers cannot fetch reach them (set once, at wiring). */
    public ProviderChain stageInputsWith(InputStaging s) {
        this.staging = s;
        return this;
    }

    public InferenceProvider primary() {
        return order.get(0);
    }

    public List<InferenceProvider> all() {
        return order;
    }

    public Optional<InferenceProvider> byName(String name) {
        return order.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** One pass along the chain, never past {@code until}. Never throws for a provider's failure. */
    public Outcome submit(PredictionRequest request, Function<String, Optional<URI>> callbackFor, Deadline until) {
        List<String> attempts = new ArrayList<>();
        Optional<Duration> retryAfter = Optional.empty();
        List<InferenceProvider> serving = candidates(request);
        if (serving.isEmpty()) {
            return new Outcome.Rejected("the model " + request.path() + " is not served by this deployment", attempts);
        }
        for (InferenceProvider p : serving) {
            if (until.passed()) {
                attempts.add(p.name() + ": not tried, out of time");
                break;
            }
            try {
                // A video the provider cannot fetch is uploaded to it first; a refused upload is a refused input.
                PredictionRequest readable = staging.forProvider(p, request, attempts, until);
                ProviderJob job = p.submit(readable, staging.callbackFor(p, callbackFor.apply(p.name())), until);
                attempts.add(p.name() + ": accepted as job " + job.id());
                return new Outcome.Started(p, job, attempts);
            } catch (ProviderException e) {
                attempts.addAll(e.attempts());
                attempts.add(p.name() + ": " + e.kind().name().toLowerCase() + ": " + e.getMessage());
                if (e.kind() == ProviderException.Kind.REJECTED) {
                    return new Outcome.Rejected(e.clientReason(), attempts);
                }
                if (e.maybeCreated()) {
                    return new Outcome.NotStarted(true, e.retryAfter(), attempts);
                }
                if (e.retryAfter().isPresent()) {
                    retryAfter = e.retryAfter();
                }
            }
        }
        return new Outcome.NotStarted(false, retryAfter, attempts);
    }
}
