package dev.foley.provider;

import dev.foley.prediction.PredictionRequest;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * An inference backend that runs MMAudio for Foley (no GPU runs inside Lambda). Every call is
 * bounded in time; every failure is a {@link ProviderException} that says whether trying again
 * can help.
 */
public interface InferenceProvider {

    /** The configuration name: {@code wavespeed}, {@code fal}, {@code replicate} or {@code local}. */
    String name();

    /**
     * Starts a job. {@code callback}, when present, is where the provider should push its result.
     * Throws {@link ProviderException} with {@code maybeCreated()} when the request may have
     * created a job although no id came back.
     */
    ProviderJob submit(PredictionRequest request, Optional<URI> callback) throws ProviderException;

    /** Where the job is now. */
    JobStatus check(ProviderJob job) throws ProviderException;

    /** Asks the provider to stop the job; quietly done if it already ended or cannot be cancelled. */
    void cancel(ProviderJob job) throws ProviderException;

    /** Checks a push notification's signature and age and reads the job update it carries. */
    JobUpdate verifyCallback(Map<String, String> headers, byte[] body) throws InvalidCallbackException;

    /** A guess at how long a job takes, for the first status check. */
    default Duration expectedDuration(PredictionRequest request) {
        return Duration.ofSeconds(3 + request.duration() / 2);
    }
}
