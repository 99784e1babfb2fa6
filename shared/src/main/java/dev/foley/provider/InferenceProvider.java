package dev.foley.provider;

import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.ProviderJob;
import dev.foley.time.Deadline;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * An inference backend that runs MMAudio for Foley (no GPU runs inside Lambda). Every call is
 * bounded in time (its own timeouts, and the caller's deadline); every failure is a
 * {@link ProviderException} that says whether trying again can help.
 */
public interface InferenceProvider {

    /** What a cancel achieved. */
    enum CancelOutcome {
        CANCELLED("cancelled"),
        ALREADY_ENDED("had already ended"),
        NOT_FOUND("unknown to the provider"),
        /** Removed at the provider, which may still finish a task it had started (WaveSpeed's delete). */
        DELETED("deleted (the provider may still finish a task it had started)"),
        NOT_SUPPORTED("cannot be stopped: the provider offers no cancel");

        private final String words;

        CancelOutcome(String words) {
            this.words = words;
        }

        public String words() {
            return words;
        }
    }

    /** The configuration name: {@code wavespeed}, {@code fal}, {@code replicate} or {@code local}. */
    String name();

    /**
     * Starts a job. {@code callback}, when present, is where the provider should push its result.
     * Throws {@link ProviderException} with {@code maybeCreated()} when the request may have
     * created a job although no id came back.
     */
    ProviderJob submit(PredictionRequest request, Optional<URI> callback, Deadline until) throws ProviderException;

    /** Where the job is now ({@link ProviderException.Kind#NOT_FOUND} when the provider does not know it). */
    JobStatus check(ProviderJob job, Deadline until) throws ProviderException;

    /** Asks the provider to stop the job. */
    CancelOutcome cancel(ProviderJob job, Deadline until) throws ProviderException;

    /** Checks a push notification's signature and age and reads the job update it carries. */
    JobUpdate verifyCallback(Map<String, String> headers, byte[] body) throws InvalidCallbackException;

    /**
     * Whether a verified update can be for a prediction with {@code request}: providers that echo
     * a job's input in their callbacks can tell a job of another prediction apart.
     */
    default boolean mayBelongTo(JobUpdate update, PredictionRequest request) {
        if (update.input() == null || update.input().isMissingNode() || update.input().isNull()) {
            return true;
        }
        String prompt = update.input().path("prompt").asText(null);
        return prompt == null || prompt.equals(request.prompt());
    }

    /**
     * A file to put where the provider's workers can read it (a clip on a laptop, or behind a
     * private address): its name and type as the provider's own clients send them.
     */
    record Upload(String filename, String contentType, java.nio.file.Path file) {
        public long size() {
            try {
                return java.nio.file.Files.size(file);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    /**
     * Puts {@code file} in the provider's own storage, the way its published client does, and
     * returns the URL to pass as the input. A refusal (size, type) is {@code REJECTED} with the
     * provider's reason; bad credentials {@code CONFIGURATION}.
     */
    default String upload(Upload file, Deadline until) throws ProviderException {
        throw new ProviderException(ProviderException.Kind.CONFIGURATION, name() + " takes no uploads", 0, Optional.empty(),
                false, java.util.List.of());
    }

    /**
     * Where the provider's API is; empty for one that runs here ({@code local}, which reads any
     * URL this machine can). Inputs at private addresses are uploaded for a provider on a public one.
     */
    default Optional<URI> base() {
        return Optional.empty();
    }

    /**
     * The {@code host:port} this provider serves its outputs from when that is Foley's own machine
     * (the {@code local} provider's file host): readable even under strict URLs. Empty for a
     * provider on the internet, whose outputs are fetched like any URL.
     */
    default Optional<String> ownOutputHost() {
        return Optional.empty();
    }

    /** Whether the provider's API takes a seed for {@code m} (WaveSpeed's MMAudio does not: its takes differ by its own randomness). */
    default boolean takesSeed(dev.foley.model.Model m) {
        return m.takes("seed");
    }

    /**
     * The body {@code provider} receives for a model other than MMAudio v2 (whose bodies each adapter
     * writes itself): every parameter of the model that has a value, under the provider's own name
     * for it ({@link dev.foley.model.Model#fieldAt}); {@code enable_sync_mode} is Foley's to honour. A
     * child of a model that samples itself carries {@code num_samples: 1} already ({@link PredictionRequest#child}).
     */
    static com.fasterxml.jackson.databind.node.ObjectNode modelBody(PredictionRequest r, String provider) {
        var b = dev.foley.json.Json.object();
        dev.foley.model.Model m = r.spec();
        for (dev.foley.model.Param p : m.params()) {
            String field = m.fieldAt(provider, p.name());
            var v = r.value(p.name());
            if (v != null && !field.isEmpty() && !p.name().equals("enable_sync_mode")) {
                b.set(field, v);
            }
        }
        return b;
    }

    /** Whether {@code r} is to MMAudio v2 (the adapters' own bodies) rather than another model of the registry. */
    static boolean isMmaudio(PredictionRequest r) {
        return r.model().equals(dev.foley.model.Models.MMAUDIO_V2.id()) || r.model().equals(dev.foley.model.Models.MMAUDIO_V2_TEXT.id());
    }

    /**
     * How long a job just made may be unknown to the provider's status call (creation not yet
     * visible everywhere, a failover): "not found" within it is no proof the job is gone.
     */
    default Duration creationDelay() {
        return Duration.ofSeconds(10);
    }

    /** A guess at how long a job takes, for the first status check. */
    default Duration expectedDuration(PredictionRequest request) {
        return Duration.ofSeconds(3 + request.duration() / 2);
    }
}
