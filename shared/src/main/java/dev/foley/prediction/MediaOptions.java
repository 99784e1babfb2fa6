package dev.foley.prediction;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * Foley's extensions to the hosted contract, applied by the media function: what happens to the
 * clip's own sound, the file format of the result, and (long model only) the windows.
 *
 * @param originalAudio  {@code replace} (the hosted API's behaviour), {@code mix} or {@code duck}
 * @param originalLevel  the gain of the clip's own sound under {@code mix} and {@code duck} (0–2)
 * @param outputFormat   {@code mp4}, {@code wav}, {@code flac}, {@code mp3}, {@code m4a}; null: the model's default
 * @param windowSeconds  long model: seconds per window sent to the provider (the model's training length is 8)
 * @param overlapSeconds long model: how much neighbouring windows overlap (crossfaded)
 * @param soundCheck     measure the result (sync, loudness, flags) where the media function makes it ({@code sound_check})
 * @param loudnessLufs   bring the result to this integrated loudness ({@code loudness_lufs}); null: as the model made it
 * @param truePeakDbtp   the true-peak ceiling under a loudness target ({@code true_peak_dbtp}, default -1)
 * @param samples        takes: provider jobs made for the prediction, checked and returned best first ({@code num_samples})
 * @param sceneCuts      windows follow the video's shot cuts ({@code scene_cuts}, default true; false: fixed windows)
 * @param segments       a prompt per stretch of time ({@code segments}; empty: the request's prompt throughout)
 * @param redo           a regenerate's stretch of its parent (null: a whole prediction); set by the regenerate route only
 */
public record MediaOptions(String originalAudio, double originalLevel, String outputFormat, int windowSeconds,
        double overlapSeconds, boolean soundCheck, Double loudnessLufs, double truePeakDbtp, int samples, boolean sceneCuts,
        List<Segment> segments, Redo redo) {

    public MediaOptions(String originalAudio, double originalLevel, String outputFormat, int windowSeconds, double overlapSeconds,
            boolean soundCheck, Double loudnessLufs, double truePeakDbtp, int samples, boolean sceneCuts, List<Segment> segments) {
        this(originalAudio, originalLevel, outputFormat, windowSeconds, overlapSeconds, soundCheck, loudnessLufs, truePeakDbtp, samples,
                sceneCuts, segments, null);
    }

    /** The same options for a regenerate of {@code r}. */
    public MediaOptions withRedo(Redo r) {
        return new MediaOptions(originalAudio, originalLevel, outputFormat, windowSeconds, overlapSeconds, soundCheck, loudnessLufs,
                truePeakDbtp, samples, sceneCuts, segments, r);
    }

    public MediaOptions(String originalAudio, double originalLevel, String outputFormat, int windowSeconds, double overlapSeconds,
            boolean soundCheck, Double loudnessLufs, double truePeakDbtp, int samples) {
        this(originalAudio, originalLevel, outputFormat, windowSeconds, overlapSeconds, soundCheck, loudnessLufs, truePeakDbtp, samples,
                true, List.of());
    }

    public static final double DEFAULT_TRUE_PEAK = -1;
    public static final int MAX_SAMPLES = 4;

    public MediaOptions(String originalAudio, double originalLevel, String outputFormat, int windowSeconds, double overlapSeconds) {
        this(originalAudio, originalLevel, outputFormat, windowSeconds, overlapSeconds, true, null, DEFAULT_TRUE_PEAK, 1);
    }

    /** The same options with {@code n} takes. */
    public MediaOptions withSamples(int n) {
        return new MediaOptions(originalAudio, originalLevel, outputFormat, windowSeconds, overlapSeconds, soundCheck, loudnessLufs,
                truePeakDbtp, n, sceneCuts, segments, redo);
    }

    /** The segment that covers time {@code t}, if any. */
    public java.util.Optional<Segment> segmentAt(double t) {
        return segments.stream().filter(g -> g.covers(t)).findFirst();
    }

    public static final List<String> ORIGINAL_AUDIO = List.of("replace", "mix", "duck");
    public static final List<String> FORMATS = List.of("mp4", "wav", "flac", "mp3", "m4a");
    public static final int DEFAULT_WINDOW = 8;
    public static final double DEFAULT_OVERLAP = 1.0;
    public static final MediaOptions DEFAULT = new MediaOptions("replace", 1.0, null, DEFAULT_WINDOW, DEFAULT_OVERLAP);

    public MediaOptions {
        originalAudio = originalAudio == null ? "replace" : originalAudio;
        segments = segments == null ? List.of() : List.copyOf(segments);
    }

    /** The format the result has: the one asked for, else mp4 for video and flac for text-to-audio (as hosted). */
    public String formatFor(Kind kind) {
        return outputFormat != null ? outputFormat : kind.hasVideo() ? "mp4" : "flac";
    }

    /** Whether the result is only a sound track (no picture). */
    public boolean audioOnly(Kind kind) {
        return !"mp4".equals(formatFor(kind));
    }

    /**
     * Whether the media function has work to do on the provider's output: always for the long
     * model; for the others only when the client asked for something the model does not give
     * (a shaped result, or takes to rank).
     */
    public boolean needsMedia(Kind kind) {
        return shapesTheResult(kind) || samples > 1;
    }

    /**
     * Whether the result is made from the model's sound rather than kept as the model's file: a
     * long video's windows joined, the clip's own sound kept, another format, a loudness target.
     */
    public boolean shapesTheResult(Kind kind) {
        return switch (kind) {
            case LONG -> true;
            case VIDEO -> !"replace".equals(originalAudio) || !"mp4".equals(formatFor(kind)) || loudnessLufs != null;
            case TEXT -> outputFormat != null || loudnessLufs != null;
        };
    }

    /** Writes the non-default options (all of them for the long model) into a request's JSON echo. */
    void writeTo(ObjectNode n, Kind kind) {
        boolean all = kind == Kind.LONG;
        if (kind.hasVideo() && (all || !"replace".equals(originalAudio))) {
            n.put("original_audio", originalAudio);
        }
        if (kind.hasVideo() && (all || originalLevel != 1.0)) {
            n.put("original_audio_level", originalLevel);
        }
        if (all || outputFormat != null) {
            n.put("output_format", formatFor(kind));
        }
        if (all) {
            n.put("window_seconds", windowSeconds);
            n.put("overlap_seconds", overlapSeconds);
        }
        if (all || !soundCheck) {
            n.put("sound_check", soundCheck);
        }
        if (loudnessLufs != null) {
            n.put("loudness_lufs", loudnessLufs);
        }
        if (all || loudnessLufs != null || truePeakDbtp != DEFAULT_TRUE_PEAK) {
            n.put("true_peak_dbtp", truePeakDbtp);
        }
        if (all || samples != 1) {
            n.put("num_samples", samples);
        }
        if (all || !sceneCuts) {
            n.put("scene_cuts", sceneCuts);
        }
        if (redo != null) {
            var g = n.putObject("regenerate").put("parent", redo.parentId()).put("start", redo.start()).put("end", redo.end())
                    .put("parent_output", redo.parentOutput());
            redo.sources().forEach(g.putArray("sources")::add);
            if (redo.parentCuts() != null) {
                redo.parentCuts().forEach(g.putArray("parent_cuts")::add);
            }
        }
        if (!segments.isEmpty()) {
            var a = n.putArray("segments");
            for (Segment g : segments) {
                var o = a.addObject().put("start", g.start()).put("end", g.end()).put("prompt", g.prompt());
                if (g.negativePrompt() != null) {
                    o.put("negative_prompt", g.negativePrompt());
                }
            }
        }
    }

    static MediaOptions readFrom(JsonNode n) {
        return new MediaOptions(
                n.path("original_audio").asText("replace"),
                n.path("original_audio_level").asDouble(1.0),
                n.hasNonNull("output_format") ? n.get("output_format").asText() : null,
                n.path("window_seconds").asInt(DEFAULT_WINDOW),
                n.path("overlap_seconds").asDouble(DEFAULT_OVERLAP),
                n.path("sound_check").asBoolean(true),
                n.hasNonNull("loudness_lufs") ? n.get("loudness_lufs").asDouble() : null,
                n.path("true_peak_dbtp").asDouble(DEFAULT_TRUE_PEAK),
                n.path("num_samples").asInt(1),
                n.path("scene_cuts").asBoolean(true),
                segmentsFrom(n.path("segments")),
                redoFrom(n.get("regenerate")));
    }

    private static Redo redoFrom(JsonNode g) {
        if (g == null || !g.isObject()) {
            return null;
        }
        List<String> sources = new java.util.ArrayList<>();
        g.path("sources").forEach(x -> sources.add(x.asText()));
        List<Double> cuts = null;
        if (g.path("parent_cuts").isArray()) {
            cuts = new java.util.ArrayList<>();
            for (JsonNode c : g.get("parent_cuts")) {
                cuts.add(c.asDouble());
            }
        }
        return new Redo(g.path("parent").asText(), g.path("start").asDouble(), g.path("end").asDouble(), g.path("parent_output").asText(),
                sources, cuts);
    }

    private static List<Segment> segmentsFrom(JsonNode a) {
        List<Segment> out = new java.util.ArrayList<>();
        for (JsonNode g : a) {
            out.add(new Segment(g.path("start").asDouble(), g.path("end").asDouble(), g.path("prompt").asText(""),
                    g.hasNonNull("negative_prompt") ? g.get("negative_prompt").asText() : null));
        }
        return out;
    }
}
