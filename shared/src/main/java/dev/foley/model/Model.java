package dev.foley.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a model is, in one place: its id (the hosted API's model path), what it takes (a video, or
 * text alone), its parameters by their hosted names, its limits, what it makes, its price, which
 * providers serve it and under which of their own paths, and a word on its licence. Foley's
 * long-video path for it, when it has one, is a {@link #longPath()} with the same parameters and
 * its own duration limit.
 *
 * @param id        the model path ({@code wavespeed-ai/mmaudio-v2}): {@code POST /api/v3/<id>}
 * @param title     its name for people
 * @param input     {@code video} or {@code text}
 * @param params    its parameters, in the order its hosted page lists them
 * @param limits    its clip and window limits
 * @param output    what it makes
 * @param price     its price (micro-dollars per unit)
 * @param providers each provider that serves it, and that provider's own path or app for it
 * @param licence   what its terms allow, in a line
 * @param roles     Foley's common name for each of its parameters that has one ({@code prompt} for
 *                  Kling's {@code sound_effect_prompt}); a parameter without one is the model's own,
 *                  kept and sent as given
 * @param fieldNames per provider, the provider's own name for each parameter that differs ({@code ""}:
 *                  not sent there)
 */
public record Model(String id, String title, String input, List<Param> params, Limits limits, Output output, Price price,
        Map<String, String> providers, String licence, Map<String, String> roles, Map<String, Map<String, String>> fieldNames) {

    /** Foley's common names for what most models take (MMAudio's own names). */
    public static final List<String> COMMON = List.of("video", "prompt", "negative_prompt", "num_inference_steps", "duration",
            "guidance_scale", "mask_away_clip", "seed", "enable_sync_mode");

    /** The hosted name of the parameter playing {@code common}'s part, if the model has one. */
    public Optional<String> hosted(String common) {
        return roles.entrySet().stream().filter(e -> e.getValue().equals(common)).map(Map.Entry::getKey).findFirst();
    }

    /** Foley's common name for hosted parameter {@code name}, if it has one. */
    public Optional<String> role(String name) {
        return Optional.ofNullable(roles.get(name));
    }

    /** Whether it has a parameter playing {@code common}'s part. */
    public boolean takes(String common) {
        return hosted(common).isPresent();
    }

    /** Provider {@code provider}'s name for hosted parameter {@code name} ({@code ""}: not sent there). */
    public String fieldAt(String provider, String name) {
        return fieldNames.getOrDefault(provider, Map.of()).getOrDefault(name, name);
    }

    /** Whether the model makes several samples in one request itself ({@code num_samples} is its own). */
    public boolean samplesItself() {
        return params.stream().anyMatch(p -> p.name().equals("num_samples"));
    }

    /** Whether the length of its sound follows the video's (it takes no duration): charged by the seconds it made. */
    public boolean lengthFollowsVideo() {
        return "video".equals(input) && !takes("duration");
    }

    /**
     * Seconds it takes and makes: {@code minSeconds}–{@code maxSeconds} per request; on the long
     * path, windows of {@code minWindow}–{@code maxWindow} s ({@code bestWindow} by default: the
     * length it was trained on) over a video of at most {@code longMaxSeconds}.
     */
    public record Limits(int minSeconds, int maxSeconds, int minWindow, int maxWindow, int bestWindow, int longMaxSeconds) {
    }

    /** What it makes: {@code video} (the clip with its new sound) or {@code audio}, at this rate and channel count. */
    public record Output(String media, int sampleRate, int channels) {
    }

    /** Micro-dollars per {@code unit}: {@code second} (of audio asked for) or {@code video} (per request). */
    public record Price(long microUsd, String unit) {
    }

    /** Its long-video path ({@code foley/<name>-long}), for models that take a video; empty for text to audio. */
    public Optional<String> longPath() {
        return "video".equals(input) ? Optional.of("foley/" + id.substring(id.indexOf('/') + 1).replace('/', '-') + "-long")
                : Optional.empty();
    }

    /** Whether it has a parameter named {@code name} (its hosted name). */
    public boolean has(String name) {
        return params.stream().anyMatch(p -> p.name().equals(name));
    }

    /** Its parameter {@code name}. */
    public Param param(String name) {
        return params.stream().filter(p -> p.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(id + " has no parameter " + name));
    }

    /** How the model list shows it. */
    public ObjectNode json(List<String> servedBy) {
        ObjectNode n = dev.foley.json.Json.object().put("id", id).put("title", title).put("input", input)
                .put("path", "/api/v3/" + id);
        longPath().ifPresentOrElse(l -> n.put("long_path", "/api/v3/" + l), () -> n.putNull("long_path"));
        var ps = n.putArray("parameters");
        params.forEach(p -> ps.add(p.json()));
        n.putObject("limits").put("min_seconds", limits.minSeconds()).put("max_seconds", limits.maxSeconds())
                .put("window_seconds", limits.bestWindow()).put("min_window_seconds", limits.minWindow())
                .put("max_window_seconds", limits.maxWindow()).put("long_max_seconds", limits.longMaxSeconds());
        n.putObject("output").put("media", output.media()).put("sample_rate", output.sampleRate()).put("channels", output.channels());
        n.putObject("price").put("usd", java.math.BigDecimal.valueOf(price.microUsd(), 6).stripTrailingZeros().toPlainString())
                .put("unit", price.unit());
        var by = n.putArray("providers");
        servedBy.forEach(by::add);
        n.put("licence", licence);
        var names = n.putObject("provider_fields");
        fieldNames.forEach((provider, m) -> {
            if (servedBy.contains(provider)) {
                var o = names.putObject(provider);
                m.forEach(o::put);
            }
        });
        return n;
    }
}
