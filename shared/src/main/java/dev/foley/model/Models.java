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
            "MIT code; weights CC-BY-NC 4.0 (the hosts serve it under their own commercial terms)", identity(MMAUDIO_PARAMS), Map.of());

    /** MMAudio v2's text to audio: the same parameters without the video. */
    public static final Model MMAUDIO_V2_TEXT = new Model("wavespeed-ai/mmaudio-v2/text-to-audio", "MMAudio v2, text to audio", "text",
            MMAUDIO_PARAMS.stream().filter(p -> !p.name().equals("video")).toList(),
            new Model.Limits(1, 30, 0, 0, 0, 0), new Model.Output("audio", 44_100, 1), new Model.Price(1_000, "second"),
            Map.of("wavespeed", "wavespeed-ai/mmaudio-v2/text-to-audio", "fal", "fal-ai/mmaudio-v2/text-to-audio",
                    "replicate", "zsxkib/mmaudio", "local", "local generator (no model)"),
            MMAUDIO_V2.licence(), identity(MMAUDIO_PARAMS.subList(1, MMAUDIO_PARAMS.size())), Map.of());

    private static final Param SYNC = MMAUDIO_PARAMS.get(MMAUDIO_PARAMS.size() - 1);
    private static final String LOCAL = "local generator (no model)";

    /**
     * HunyuanVideo-Foley (Tencent, 2025-08): 48 kHz stereo, clips of up to 15 s. WaveSpeed's page
     * does not list its fields; Foley takes WaveSpeed's usual names (video, prompt, ...) and fal's are
     * from its model page and {@code @fal-ai/client} types (video_url, text_prompt).
     */
    public static final Model HUNYUAN_FOLEY = new Model("wavespeed-ai/hunyuan-video-foley", "HunyuanVideo-Foley", "video",
            List.of(Param.url("video", "The video to add sound to (1-15 s; the long path takes longer ones)"),
                    Param.text("prompt", true, 2_000, "What it should sound like (the model reads about 100 tokens)"),
                    new Param("negative_prompt", Param.Type.STRING, false, null, 2_000.0, "noisy, harsh", "What it should not sound like"),
                    Param.integer("num_inference_steps", 10, 100, 50, "Sampling steps"),
                    Param.number("guidance_scale", 1, 10, 4.5, "How closely the sound follows the prompt"),
                    Param.integer("seed", 0, Integer.MAX_VALUE, null, "The same seed and request make the same sound; absent: random"),
                    SYNC),
            new Model.Limits(1, 15, 4, 15, 10, 600), new Model.Output("video", 48_000, 2), new Model.Price(10_000, "second"),
            Map.of("wavespeed", "wavespeed-ai/hunyuan-video-foley", "fal", "fal-ai/hunyuan-video-foley", "local", LOCAL),
            "Tencent Hunyuan Community License: not for use in the EU, the UK or South Korea",
            Map.of("video", "video", "prompt", "prompt", "negative_prompt", "negative_prompt", "num_inference_steps", "num_inference_steps",
                    "guidance_scale", "guidance_scale", "seed", "seed", "enable_sync_mode", "enable_sync_mode"),
            Map.of("fal", Map.of("video", "video_url", "prompt", "text_prompt", "enable_sync_mode", "")));

    /** ThinkSound (FunAudioLLM, 2025): the video's own length; an empty prompt lets the model describe the video itself. */
    public static final Model THINKSOUND = new Model("wavespeed-ai/think-sound", "ThinkSound", "video",
            List.of(Param.url("video", "The video to add sound to"),
                    Param.text("prompt", false, 2_000, "What it should sound like; empty: the model works it out from the video"),
                    Param.integer("seed", -1, Integer.MAX_VALUE, -1, "The same seed and request make the same sound; -1: random"),
                    SYNC),
            new Model.Limits(1, 10, 4, 10, 8, 600), new Model.Output("video", 44_100, 2), new Model.Price(1_000, "second"),
            Map.of("wavespeed", "wavespeed-ai/think-sound", "fal", "fal-ai/thinksound", "local", LOCAL),
            "Apache-2.0 code; weights for non-commercial use (the hosts serve it under their own terms)",
            Map.of("video", "video", "prompt", "prompt", "seed", "seed", "enable_sync_mode", "enable_sync_mode"),
            Map.of("fal", Map.of("video", "video_url", "enable_sync_mode", "")));

    /** Kling video to audio (Kuaishou): sound effects and music from two prompts, for a 3-20 s video, priced per video. */
    public static final Model KLING = new Model("kwaivgi/kling-video-to-audio", "Kling video to audio", "video",
            List.of(Param.url("video", "The video to add sound to: .mp4 or .mov, up to 100 MB, 3-20 s (longer is cut to 20 s)"),
                    Param.text("sound_effect_prompt", false, 200, "The sound effects to make"),
                    Param.text("bgm_prompt", false, 200, "The background music to make"),
                    Param.bool("asmr_mode", false, "Close, detailed sound effects (ASMR)"),
                    SYNC),
            new Model.Limits(3, 20, 3, 20, 10, 600), new Model.Output("video", 44_100, 2), new Model.Price(35_000, "video"),
            Map.of("wavespeed", "kwaivgi/kling-video-to-audio", "fal", "fal-ai/kling-video/video-to-audio", "local", LOCAL),
            "commercial API (Kuaishou's terms, through the host)",
            Map.of("video", "video", "sound_effect_prompt", "prompt", "enable_sync_mode", "enable_sync_mode"),
            Map.of("fal", Map.of("video", "video_url", "bgm_prompt", "background_music_prompt", "enable_sync_mode", "")));

    /** Mirelo SFX v1: several samples in one request (its own {@code num_samples}), 2-10 s of sound. */
    public static final Model MIRELO_SFX = new Model("mirelo-ai/sfx-v1/video-to-audio", "Mirelo SFX v1", "video",
            List.of(Param.url("video", "The video to add sound to"),
                    Param.text("prompt", false, 2_000, "What it should sound like"),
                    Param.integer("num_samples", 1, 8, 2, "Samples made in the one request; Foley checks each and puts the best first"),
                    Param.integer("duration", 2, 10, 5, "Seconds of sound to make"),
                    Param.integer("seed", -1, Integer.MAX_VALUE, -1, "The same seed and request make the same sound; -1: random"),
                    SYNC),
            new Model.Limits(2, 10, 2, 10, 8, 600), new Model.Output("audio", 44_100, 2), new Model.Price(10_000, "second"),
            Map.of("wavespeed", "mirelo-ai/sfx-v1/video-to-audio", "fal", "mirelo-ai/sfx-v1.5/video-to-video", "local", LOCAL),
            "commercial API (Mirelo's terms, through the host)",
            Map.of("video", "video", "prompt", "prompt", "duration", "duration", "seed", "seed", "enable_sync_mode", "enable_sync_mode"),
            Map.of("fal", Map.of("video", "video_url", "prompt", "text_prompt", "enable_sync_mode", "")));

    /** Each parameter in its own common part (MMAudio's names are Foley's common names). */
    private static Map<String, String> identity(List<Param> params) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        params.forEach(p -> m.put(p.name(), p.name()));
        return Map.copyOf(m);
    }

    /** Every model, in the order the model list shows them. */
    public static final List<Model> ALL = List.of(MMAUDIO_V2, MMAUDIO_V2_TEXT, HUNYUAN_FOLEY, THINKSOUND, KLING, MIRELO_SFX);

    /** The video model whose long path is {@code path} ({@code foley/<name>-long}), if any. */
    public static Optional<Model> byLongPath(String path) {
        return ALL.stream().filter(m -> m.longPath().map(path::equals).orElse(false)).findFirst();
    }

    /** The model at {@code id} (its hosted path), if Foley knows it. */
    public static Optional<Model> byId(String id) {
        return ALL.stream().filter(m -> m.id().equals(id)).findFirst();
    }

    /** A long path's duration parameter: the whole video by default, at most {@link Model.Limits#longMaxSeconds()}. */
    public static Param longDuration(Model m) {
        Param d = m.has("duration") ? m.param("duration") : Param.integer("duration", 1, 1, null, "");
        return d.withRange(1, m.limits().longMaxSeconds(), null,
                "Seconds of the video to cover, at most " + m.limits().longMaxSeconds() + "; absent: the whole video");
    }
}
