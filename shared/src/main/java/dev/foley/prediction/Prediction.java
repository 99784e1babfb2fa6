package dev.foley.prediction;

import java.time.Instant;
import java.util.List;

/**
 * A prediction as stored: who asked, what they asked for, where it is in its life. The provider
 * job ({@code job}, null until submitted), the provider's own output URLs and the log of provider
 * attempts are kept here and never shown to the client.
 *
 * @param outputKeys      where the outputs live in our bucket, once copied (clients get links to these)
 * @param upstreamOutputs the provider's output URLs, between upstream done and the copy
 * @param checks          status checks made so far (for the check backoff)
 * @param chargeMicroUsd  what the completed prediction cost, in micro-dollars (0 until completed)
 * @param reservedMicroUsd what a prepaid key reserved for it at submit (refunded if it does not complete)
 * @param webhookState    {@code null} (no webhook, or not yet due), {@code pending}, {@code delivered}, {@code gave_up}
 * @param keyHash         the SHA-256 of the API key (its item's address): webhooks find the key's
 *                        secret by it without a scan, and a reservation is refunded to it
 * @param ingestKey       for an S3-triggered prediction, the uploaded object's key ({@code inputs/…})
 */
public record Prediction(
        String id,
        String keyId,
        PredictionRequest request,
        String webhook,
        Phase phase,
        long version,
        Instant createdAt,
        Instant updatedAt,
        List<String> outputKeys,
        List<String> upstreamOutputs,
        List<Boolean> nsfw,
        String error,
        long inferenceMs,
        dev.foley.provider.ProviderJob job,
        List<String> attempts,
        int checks,
        long chargeMicroUsd,
        long reservedMicroUsd,
        String webhookState,
        int webhookAttempts,
        Instant completedAt,
        String keyHash,
        String ingestKey) {

    public Prediction {
        outputKeys = outputKeys == null ? List.of() : List.copyOf(outputKeys);
        upstreamOutputs = upstreamOutputs == null ? List.of() : List.copyOf(upstreamOutputs);
        nsfw = nsfw == null ? List.of() : List.copyOf(nsfw);
        error = error == null ? "" : error;
        attempts = attempts == null ? List.of() : List.copyOf(attempts);
    }

    /** A new prediction, just accepted. */
    public static Prediction accepted(String id, String keyId, PredictionRequest request, String webhook, Instant now) {
        return new Prediction(id, keyId, request, webhook, Phase.ACCEPTED, 1, now, now,
                List.of(), List.of(), List.of(), "", 0, null, List.of(), 0, 0, 0, null, 0, null, null, null);
    }

    /** The same, made by an upload to {@code inputs/…} of the uploads bucket. */
    public Prediction withIngestKey(String objectKey) {
        return new Prediction(id, keyId, request, webhook, phase, version, createdAt, updatedAt, outputKeys, upstreamOutputs,
                nsfw, error, inferenceMs, job, attempts, checks, chargeMicroUsd, reservedMicroUsd, webhookState, webhookAttempts,
                completedAt, keyHash, objectKey);
    }

    /** The same, made with the key whose SHA-256 is {@code hash}. */
    public Prediction withKeyHash(String hash) {
        return new Prediction(id, keyId, request, webhook, phase, version, createdAt, updatedAt, outputKeys, upstreamOutputs,
                nsfw, error, inferenceMs, job, attempts, checks, chargeMicroUsd, reservedMicroUsd, webhookState, webhookAttempts,
                completedAt, hash, ingestKey);
    }

    /** The same, with a prepaid reservation taken from its key ({@link #keyHash()}). */
    public Prediction withReservation(long microUsd) {
        return new Prediction(id, keyId, request, webhook, phase, version, createdAt, updatedAt, outputKeys, upstreamOutputs,
                nsfw, error, inferenceMs, job, attempts, checks, chargeMicroUsd, microUsd, webhookState, webhookAttempts,
                completedAt, keyHash, ingestKey);
    }

    public Kind kind() {
        return request.kind();
    }
}
