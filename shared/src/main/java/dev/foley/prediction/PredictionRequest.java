package dev.foley.prediction;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;

/**
 * A validated MMAudio v2 request, defaults filled in. Field names on the wire are the hosted API's
 * ({@code num_inference_steps}, {@code guidance_scale}, ...). {@code video} is null for
 * text-to-audio; {@code seed} is null when the client wants a random one. {@code duration} 0 on the
 * long model means the whole video. {@code media} holds Foley's extensions (original sound, format,
 * windows).
 */
public record PredictionRequest(
        Kind kind,
        String video,
        String prompt,
        String negativePrompt,
        int numInferenceSteps,
        int duration,
        double guidanceScale,
        boolean maskAwayClip,
        Integer seed,
        boolean enableSyncMode,
        MediaOptions media) {

    public PredictionRequest {
        media = media == null ? MediaOptions.DEFAULT : media;
    }

    /** A request to the hosted contract's fields only (Foley's extensions at their defaults). */
    /** The same request with its video at {@code url} (a fresh link, an upload at the provider). */
    public PredictionRequest withVideo(String url) {
        return new PredictionRequest(kind, url, prompt, negativePrompt, numInferenceSteps, duration, guidanceScale, maskAwayClip, seed,
                enableSyncMode, media);
    }

    public PredictionRequest(Kind kind, String video, String prompt, String negativePrompt, int numInferenceSteps,
            int duration, double guidanceScale, boolean maskAwayClip, Integer seed, boolean enableSyncMode) {
        this(kind, video, prompt, negativePrompt, numInferenceSteps, duration, guidanceScale, maskAwayClip, seed,
                enableSyncMode, MediaOptions.DEFAULT);
    }

    public static final int DEFAULT_STEPS = (Integer) dev.foley.model.Models.MMAUDIO_V2.param("num_inference_steps").defaultValue();
    public static final int DEFAULT_DURATION = (Integer) dev.foley.model.Models.MMAUDIO_V2.param("duration").defaultValue();
    public static final double DEFAULT_GUIDANCE = (Double) dev.foley.model.Models.MMAUDIO_V2.param("guidance_scale").defaultValue();

    /** The request as the client could have sent it, every field explicit (stored, and echoed as {@code input}). */
    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        if (video != null) {
            n.put("video", video);
        }
        n.put("prompt", prompt);
        n.put("negative_prompt", negativePrompt);
        n.put("num_inference_steps", numInferenceSteps);
        if (duration > 0) {
            n.put("duration", duration); // the long model's 0 (the whole video) is left out
        }
        n.put("guidance_scale", guidanceScale);
        n.put("mask_away_clip", maskAwayClip);
        if (seed != null) {
            n.put("seed", seed.intValue());
        }
        n.put("enable_sync_mode", enableSyncMode);
        media.writeTo(n, kind);
        return n;
    }

    /** Reads back what {@link #toJson()} stored (trusted input: it was validated on the way in). */
    public static PredictionRequest fromJson(Kind kind, JsonNode n) {
        return new PredictionRequest(
                kind,
                n.hasNonNull("video") ? n.get("video").asText() : null,
                n.path("prompt").asText(),
                n.path("negative_prompt").asText(""),
                n.path("num_inference_steps").asInt(DEFAULT_STEPS),
                n.path("duration").asInt(kind == Kind.LONG ? 0 : DEFAULT_DURATION),
                n.path("guidance_scale").asDouble(DEFAULT_GUIDANCE),
                n.path("mask_away_clip").asBoolean(false),
                n.hasNonNull("seed") ? n.get("seed").asInt() : null,
                n.path("enable_sync_mode").asBoolean(false),
                MediaOptions.readFrom(n));
    }
}
