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

    /** A guess at how long a job takes, for the first status check. */
    default Duration expectedDuration(PredictionRequest request) {
        return Duration.ofSeconds(3 + request.duration() / 2);
    }
}
