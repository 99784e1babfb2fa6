package dev.foley.prediction;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;
import dev.foley.model.Model;
import dev.foley.model.Models;

/**
 * A validated request, defaults filled in, for one model of the registry ({@code model}: its id).
 * The fixed fields are Foley's common parts (MMAudio v2's names: {@code prompt},
 * {@code num_inference_steps}, ...), which each model maps to its own hosted names
 * ({@link dev.foley.model.Model#roles()}: Kling's {@code sound_effect_prompt} is its prompt);
 * a part the model lacks keeps its default and is neither sent nor shown. {@code extra} holds the
 * model's own parameters that have no common part (Kling's {@code bgm_prompt}), by hosted name.
 * {@code video} is null for text-to-audio; {@code seed} is null when the client wants a random one.
 * {@code duration} 0 on the long model means the whole video (and, for a model whose sound follows
 * the video's length, the clip's own length). {@code media} holds Foley's extensions.
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
        MediaOptions media,
        String model,
        ObjectNode extra) {

    public PredictionRequest {
        media = media == null ? MediaOptions.DEFAULT : media;
        model = model == null ? (kind == Kind.TEXT ? Models.MMAUDIO_V2_TEXT : Models.MMAUDIO_V2).id() : model;
        extra = extra == null ? Json.object() : extra;
    }

    public PredictionRequest(Kind kind, String video, String prompt, String negativePrompt, int numInferenceSteps,
            int duration, double guidanceScale, boolean maskAwayClip, Integer seed, boolean enableSyncMode, MediaOptions media) {
        this(kind, video, prompt, negativePrompt, numInferenceSteps, duration, guidanceScale, maskAwayClip, seed, enableSyncMode, media,
                null, null);
    }

    /** The model's entry in the registry. */
    public Model spec() {
        return Models.byId(model).orElseThrow(() -> new IllegalStateException("unknown model " + model));
    }

    /** The model path the API shows ({@code data.model}): the model's id, or its long path. */
    public String path() {
        Model m = spec();
        return kind == Kind.LONG ? m.longPath().orElseThrow() : m.id();
    }

    /** The same request with other parts: {@code video}, {@code duration}, {@code seed} and the model's own {@code extra}. */
    public PredictionRequest with(String video, int duration, Integer seed, ObjectNode extra) {
        return new PredictionRequest(kind, video, prompt, negativePrompt, numInferenceSteps, duration, guidanceScale, maskAwayClip, seed,
                enableSyncMode, media, model, extra);
    }

    /**
     * A child's request (a window's or a take's): this request's model and parts, with its own
     * video, duration and seed, no media work of its own; a model that makes several samples makes one.
     */
    public PredictionRequest child(Kind childKind, String childVideo, int childDuration, Integer childSeed) {
        ObjectNode own = extra.deepCopy();
        if (spec().samplesItself()) {
            own.put("num_samples", 1);
        }
        return new PredictionRequest(childKind, childVideo, prompt, negativePrompt, numInferenceSteps, childDuration, guidanceScale,
                maskAwayClip, childSeed, false, MediaOptions.DEFAULT, model, own);
    }

    /**
     * A short video request with segments, as it runs: on the model's long path (cut into windows
     * that follow the segments and the shots, joined), covering its duration (or the model's longest
     * request), windows of the model's best length; otherwise the same request.
     */
    public PredictionRequest windowed() {
        Model m = spec();
        int cover = duration > 0 ? duration : m.limits().maxSeconds();
        MediaOptions o = new MediaOptions(media.originalAudio(), media.originalLevel(), media.formatFor(kind), m.limits().bestWindow(),
                MediaOptions.DEFAULT_OVERLAP, media.soundCheck(), media.loudnessLufs(), media.truePeakDbtp(), media.samples(),
                media.sceneCuts(), media.segments(), media.redo());
        return new PredictionRequest(Kind.LONG, video, prompt, negativePrompt, numInferenceSteps, cover, guidanceScale, maskAwayClip,
                seed, false, o, model, extra);
    }

    public PredictionRequest withRedo(Redo redo) {
        return new PredictionRequest(kind, video, prompt, negativePrompt, numInferenceSteps, duration, guidanceScale, maskAwayClip, seed,
                enableSyncMode, media.withRedo(redo), model, extra);
    }

    /**
     * The same request with the prompt (and, when not null, the negative prompt) of a stretch of
     * the video: a window inside a segment is sent with the segment's.
     */
    public PredictionRequest withPrompts(String stretchPrompt, String stretchNegative) {
        return new PredictionRequest(kind, video, stretchPrompt, stretchNegative == null ? negativePrompt : stretchNegative,
                numInferenceSteps, duration, guidanceScale, maskAwayClip, seed, enableSyncMode, media, model, extra);
    }

    /** The value of hosted parameter {@code name} ({@code null}: none, or a random seed). */
    public JsonNode value(String name) {
        Model m = spec();
        String role = m.role(name).orElse(null);
        if (role == null) {
            return extra.get(name);
        }
        return switch (role) {
            case "video" -> video == null ? null : Json.text(video);
            case "prompt" -> Json.text(prompt);
            case "negative_prompt" -> Json.text(negativePrompt);
            case "num_inference_steps" -> Json.number(numInferenceSteps);
            case "duration" -> duration > 0 ? Json.number(duration) : null;
            case "guidance_scale" -> Json.number(guidanceScale);
            case "mask_away_clip" -> Json.bool(maskAwayClip);
            case "seed" -> seed == null ? null : Json.number(seed);
            case "enable_sync_mode" -> Json.bool(enableSyncMode);
            default -> null;
        };
    }

    /** A request to the hosted contract's fields only (Foley's extensions at their defaults). */
    /** The same request with its video at {@code url} (a fresh link, an upload at the provider). */
    public PredictionRequest withVideo(String url) {
        return with(url, duration, seed, extra);
    }

    public PredictionRequest(Kind kind, String video, String prompt, String negativePrompt, int numInferenceSteps,
            int duration, double guidanceScale, boolean maskAwayClip, Integer seed, boolean enableSyncMode) {
        this(kind, video, prompt, negativePrompt, numInferenceSteps, duration, guidanceScale, maskAwayClip, seed,
                enableSyncMode, MediaOptions.DEFAULT);
    }

    public static final int DEFAULT_STEPS = (Integer) Models.MMAUDIO_V2.param("num_inference_steps").defaultValue();
    public static final int DEFAULT_DURATION = (Integer) Models.MMAUDIO_V2.param("duration").defaultValue();
    public static final double DEFAULT_GUIDANCE = (Double) Models.MMAUDIO_V2.param("guidance_scale").defaultValue();

    /** The request as the client could have sent it, every field explicit (stored, and echoed as {@code input}). */
    public ObjectNode toJson() {
        if (!isMmaudio()) {
            ObjectNode n = Json.object();
            for (dev.foley.model.Param p : spec().params()) {
                JsonNode v = value(p.name());
                if (v != null && !(kind == Kind.LONG && p.name().equals("num_samples"))) {
                    n.set(p.name(), v);
                }
            }
            if (kind == Kind.LONG && duration > 0) {
                n.put("duration", duration);
            }
            media.writeTo(n, kind);
            return n;
        }
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

    private boolean isMmaudio() {
        return model.equals(Models.MMAUDIO_V2.id()) || model.equals(Models.MMAUDIO_V2_TEXT.id());
    }

    /** Reads back what {@link #toJson()} stored for MMAudio v2. */
    public static PredictionRequest fromJson(Kind kind, JsonNode n) {
        return fromJson(kind, null, n);
    }

    /** Reads back what {@link #toJson()} stored for {@code model} (null: MMAudio v2); trusted input, validated on the way in. */
    public static PredictionRequest fromJson(Kind kind, String model, JsonNode n) {
        Model m = model == null ? null : Models.byId(model).orElseThrow(() -> new IllegalStateException("unknown model " + model));
        if (m != null && !m.id().equals(Models.MMAUDIO_V2.id()) && !m.id().equals(Models.MMAUDIO_V2_TEXT.id())) {
            return ofModel(kind, m, n);
        }
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

    /**
     * A request for {@code m} from its hosted fields in {@code n} (validated, or stored): each
     * parameter to its common part or, without one, to {@code extra}; a part it lacks at MMAudio's default.
     */
    public static PredictionRequest ofModel(Kind kind, Model m, JsonNode n) {
        ObjectNode extra = Json.object();
        java.util.Map<String, JsonNode> common = new java.util.HashMap<>();
        for (dev.foley.model.Param p : m.params()) {
            JsonNode v = n.get(p.name());
            if (kind == Kind.LONG && p.name().equals("num_samples")) {
                continue; // on the long path num_samples is Foley's takes per window
            }
            if (v == null || v.isNull()) {
                if (p.defaultValue() == null || m.role(p.name()).map(r -> r.equals("seed")).orElse(false)) {
                    continue;
                }
                v = Json.valueOf(p.defaultValue());
            }
            String role = m.role(p.name()).orElse(null);
            if (role == null) {
                extra.set(p.name(), v);
            } else {
                common.put(role, v);
            }
        }
        JsonNode seed = common.get("seed");
        MediaOptions media = MediaOptions.readFrom(n);
        if (m.samplesItself() && kind != Kind.LONG) {
            media = media.withSamples(1); // the model's own num_samples, not Foley's takes
        }
        int duration = kind == Kind.LONG ? n.path("duration").asInt(0) : common.containsKey("duration") ? common.get("duration").asInt() : 0;
        return new PredictionRequest(kind,
                common.containsKey("video") ? common.get("video").asText() : null,
                common.containsKey("prompt") ? common.get("prompt").asText() : "",
                common.containsKey("negative_prompt") ? common.get("negative_prompt").asText() : "",
                common.containsKey("num_inference_steps") ? common.get("num_inference_steps").asInt() : DEFAULT_STEPS,
                duration,
                common.containsKey("guidance_scale") ? common.get("guidance_scale").asDouble() : DEFAULT_GUIDANCE,
                common.containsKey("mask_away_clip") && common.get("mask_away_clip").asBoolean(),
                seed == null || seed.asLong() < 0 ? null : seed.asInt(),
                common.containsKey("enable_sync_mode") && common.get("enable_sync_mode").asBoolean(),
                media, m.id(), extra);
    }
}
