package dev.foley.provider;

import dev.foley.prediction.PredictionRequest;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The configured providers in order: the primary first, then the fallbacks. A submit that fails
 * retryably (or on a provider's credentials) moves on to the next; an input rejection stops, since
 * another provider would only refuse it again or, worse, charge for it.
 */
public final class ProviderChain {

    /** A job that was started, by whom, and every attempt it took. */
    public record Submitted(InferenceProvider provider, ProviderJob job, List<String> attempts) {
    }

    private final List<InferenceProvider> order;

    public ProviderChain(List<InferenceProvider> order) {
        if (order.isEmpty()) {
            throw new IllegalArgumentException("at least one provider");
        }
        this.order = List.copyOf(order);
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

    public Submitted submit(PredictionRequest request, Function<String, Optional<URI>> callbackFor) throws ProviderException {
        List<String> attempts = new ArrayList<>();
        ProviderException last = null;
        for (InferenceProvider p : order) {
            try {
                ProviderJob job = p.submit(request, callbackFor.apply(p.name()));
                attempts.add(p.name() + ": accepted as job " + job.id());
                return new Submitted(p, job, attempts);
            } catch (ProviderException e) {
                attempts.addAll(e.attempts());
                attempts.add(p.name() + ": " + e.kind().name().toLowerCase() + ": " + e.getMessage());
                if (e.kind() == ProviderException.Kind.REJECTED) {
                    throw e.withAttempts(attempts);
                }
                last = e;
            }
        }
        throw last.withAttempts(attempts);
    }
}
