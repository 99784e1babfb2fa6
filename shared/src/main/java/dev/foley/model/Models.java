package dev.foley.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The models Foley knows, each one entry. MMAudio v2 (video to audio, and text to audio) is what
 * every provider adapter serves today; a new model is a new entry here and, where a provider
 * names its fields differently, that provider's mapping.
 */
public final class Models {

    private Models() {
    }

    /** The hosted API's prompt limit is not published; Foley's is generous and stated. */
    public static final int MAX_PROMPT_CHARS = 20_000;

    private static final List<Param> MMAUDIO_PARAMS = List.of(
            Param.url("video", "The video to add sound to: an http(s) URL Foley can fetch"),
            Param.text("prompt", true, MAX_PROMPT_CHARS, "What it should sound like"),
            Param.text("negative_prompt", false, MAX_PROMPT_CHARS, "What it should not sound like"),
            Param.integer("num_inference_steps", 4, 50, 25, "Sampling steps: more is slower and finer"),
            Param.integer("duration", 1, 30, 8, "Seconds of audio to make"),
            Param.number("guidance_scale", 0, 20, 4.5, "How closely the sound follows the prompt"),
            Param.bool("mask_away_clip", false, "Ignore the picture's CLIP features (sound from motion and prompt only)"),
            Param.integer("seed", 0, 65535, null, "The same seed, request and model make the same sound; absent: random"),
            Param.bool("enable_sync_mode", false, "Answer the submit only when the prediction is finished"));

    /** MMAudio v2 (Hkchengrex et al., 2024), video to audio: 44.1 kHz mono, trained on 8 s clips. */
    public static final Model MMAUDIO_V2 = new Model("wavespeed-ai/mmaudio-v2", "MMAudio v2", "video", MMAUDIO_PARAMS,
            new Model.Limits(1, 30, 4, 10, 8, 600), new Model.Output("video", 44_100, 1), new Model.Price(1_000, "second"),
            Map.of("wavespeed", "wavespeed-ai/mmaudio-v2", "fal", "fal-ai/mmaudio-v2", "replicate", "zsxkib/mmaudio",
                    "local", "local generator (no model)"),
            "MIT code; weights CC-BY-NC 4.0 (the hosts serve it under their own commercial terms)");

    /** MMAudio v2's text to audio: the same parameters without the video. */
    public static final Model MMAUDIO_V2_TEXT = new Model("wavespeed-ai/mmaudio-v2/text-to-audio", "MMAudio v2, text to audio", "text",
            MMAUDIO_PARAMS.stream().filter(p -> !p.name().equals("video")).toList(),
            new Model.Limits(1, 30, 0, 0, 0, 0), new Model.Output("audio", 44_100, 1), new Model.Price(1_000, "second"),
            Map.of("wavespeed", "wavespeed-ai/mmaudio-v2/text-to-audio", "fal", "fal-ai/mmaudio-v2/text-to-audio",
                    "replicate", "zsxkib/mmaudio", "local", "local generator (no model)"),
            MMAUDIO_V2.licence());

    /** Every model, in the order the model list shows them. */
    public static final List<Model> ALL = List.of(MMAUDIO_V2, MMAUDIO_V2_TEXT);

    /** The model at {@code id} (its hosted path), if Foley knows it. */
    public static Optional<Model> byId(String id) {
        return ALL.stream().filter(m -> m.id().equals(id)).findFirst();
    }

    /** A long path's duration parameter: the whole video by default, at most {@link Model.Limits#longMaxSeconds()}. */
    public static Param longDuration(Model m) {
        return m.param("duration").withRange(1, m.limits().longMaxSeconds(), null,
                "Seconds of the video to cover, at most " + m.limits().longMaxSeconds() + "; absent: the whole video");
    }
}
