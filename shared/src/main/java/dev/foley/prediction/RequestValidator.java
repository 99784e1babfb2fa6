package dev.foley.prediction;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.net.UrlPolicy;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a submit body field by field against the hosted MMAudio v2 contract. Every problem is
 * reported (not just the first), each naming its field; JSON types are never coerced
 * ({@code "8"} is not a duration). Integral numbers such as {@code 8.0} count as integers, as in
 * JSON Schema.
 */
public final class RequestValidator {

    public static final int MAX_PROMPT_CHARS = dev.foley.model.Models.MAX_PROMPT_CHARS;

    /** The hosted model's own fields, as the model registry lists them. */
    public static final Set<String> VIDEO_FIELDS = dev.foley.model.Models.MMAUDIO_V2.params().stream()
            .map(dev.foley.model.Param::name).collect(java.util.stream.Collectors.toUnmodifiableSet());
    /** Foley's extensions (the media function applies them). */
    public static final Set<String> MEDIA_FIELDS = Set.of("original_audio", "original_audio_level", "output_format",
            "sound_check", "loudness_lufs", "true_peak_dbtp", "num_samples");
    /** The long path's: its windows. */
    public static final Set<String> WINDOW_FIELDS = Set.of("window_seconds", "overlap_seconds");
    /**
     * A prompt per stretch of time, and the shot cuts the windows follow: on the long path and on a
     * short video path (a short request with segments is windowed as the long path is).
     */
    public static final Set<String> SCENE_FIELDS = Set.of("scene_cuts", "segments");
    /** The long model's limit on {@code duration} (and on the video it covers), in seconds. */
    public static final int MAX_LONG_SECONDS = dev.foley.model.Models.MMAUDIO_V2.limits().longMaxSeconds();

    /** Names other MMAudio APIs use, so a client porting from them is told what we call it. */
    private static final Map<String, String> ALIASES = Map.ofEntries(
            Map.entry("num_steps", "num_inference_steps"),
            Map.entry("steps", "num_inference_steps"),
            Map.entry("cfg_strength", "guidance_scale"),
            Map.entry("cfg", "guidance_scale"),
            Map.entry("video_url", "video"),
            Map.entry("negative", "negative_prompt"),
            Map.entry("sync_mode", "enable_sync_mode"));

    /** The fields a model takes (the OpenAPI document is checked against these). */
    public static Set<String> fieldsOf(Kind kind) {
        java.util.TreeSet<String> out = new java.util.TreeSet<>(VIDEO_FIELDS);
        out.addAll(MEDIA_FIELDS);
        switch (kind) {
            case TEXT -> out.removeAll(Set.of("video", "original_audio", "original_audio_level"));
            case LONG -> {
                out.addAll(WINDOW_FIELDS);
                out.addAll(SCENE_FIELDS);
            }
            case VIDEO -> out.addAll(SCENE_FIELDS);
        }
        return out;
    }

    private static final List<String> ALL_FIELDS = java.util.stream.Stream.of(VIDEO_FIELDS, MEDIA_FIELDS, WINDOW_FIELDS, SCENE_FIELDS)
            .flatMap(Set::stream).sorted().toList();

    private final UrlPolicy urls;

    public RequestValidator(UrlPolicy urls) {
        this.urls = urls;
    }

    /** Validates a request to {@code model} (its id; null: MMAudio v2) and fills defaults; throws with every problem found. */
    public PredictionRequest validate(Kind kind, String model, JsonNode body) throws InvalidRequestException {
        dev.foley.model.Model m = model == null ? null : dev.foley.model.Models.byId(model).orElse(null);
        if (m == null || m.equals(dev.foley.model.Models.MMAUDIO_V2) || m.equals(dev.foley.model.Models.MMAUDIO_V2_TEXT)) {
            return validate(kind, body);
        }
        requireObject(body);
        return new ModelFields(m, kind, urls).validate(body);
    }

    static void requireObject(JsonNode body) throws InvalidRequestException {
        if (body == null || body.isMissingNode()) {
            throw new InvalidRequestException(List.of(new FieldError("body", "required: a JSON object")));
        }
        if (!body.isObject()) {
            throw new InvalidRequestException(List.of(new FieldError("body",
                    "must be a JSON object, got " + typeName(body))));
        }
    }

    /** Validates and fills defaults; throws with every problem found. */
    public PredictionRequest validate(Kind kind, JsonNode body) throws InvalidRequestException {
        List<FieldError> errors = new ArrayList<>();
        requireObject(body);
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!VIDEO_FIELDS.contains(name) && !MEDIA_FIELDS.contains(name) && !WINDOW_FIELDS.contains(name)
                    && !SCENE_FIELDS.contains(name)) {
                errors.add(new FieldError(shorten(name), unknownReason(name)));
            } else if (kind == Kind.TEXT && (name.equals("video") || name.startsWith("original_audio"))) {
                errors.add(new FieldError(name, "not accepted by text-to-audio (there is no video"
                        + (name.equals("video") ? "" : " and so no original sound") + "); "
                        + "post to /api/v3/wavespeed-ai/mmaudio-v2 for video-to-audio"));
            } else if (kind == Kind.TEXT && SCENE_FIELDS.contains(name)) {
                errors.add(new FieldError(name, "segments and scene cuts are stretches of a video; text-to-audio has none"));
            } else if (kind != Kind.LONG && WINDOW_FIELDS.contains(name)) {
                errors.add(new FieldError(name, "only the long model cuts windows; post to /api/v3/foley/mmaudio-v2-long"));
            }
        }
        String video = null;
        if (kind.hasVideo()) {
            video = string(body, "video", true, UrlPolicy.MAX_LENGTH, errors);
            if (video != null) {
                String v = video;
                urls.checkVideo(v).ifPresent(r -> errors.add(new FieldError("video", r)));
            }
        }
        String prompt = string(body, "prompt", true, MAX_PROMPT_CHARS, errors);
        String negative = string(body, "negative_prompt", false, MAX_PROMPT_CHARS, errors);
        // Ranges and defaults from the model's entry in the registry (the long path: its own duration).
        dev.foley.model.Model m = kind.spec();
        int steps = integer(body, m.param("num_inference_steps"), errors);
        int duration = integer(body, kind == Kind.LONG ? dev.foley.model.Models.longDuration(m) : m.param("duration"), errors);
        double guidance = number(body, m.param("guidance_scale"), errors);
        boolean mask = bool(body, "mask_away_clip", errors);
        Integer seed = body.hasNonNull("seed") ? integer(body, m.param("seed"), errors) : null;
        boolean sync = bool(body, "enable_sync_mode", errors);
        MediaOptions media = media(kind, kind.spec(), body, errors);
        if (!errors.isEmpty()) {
            throw new InvalidRequestException(errors);
        }
        return new PredictionRequest(kind, video, prompt, negative == null ? "" : negative,
                steps, duration, guidance, mask, seed, sync, media);
    }

    /** Foley's extensions (the media function's), with {@code m}'s windows on the long path. */
    static MediaOptions media(Kind kind, dev.foley.model.Model m, JsonNode body, List<FieldError> errors) {
        String original = "replace";
        double level = 1.0;
        if (kind.hasVideo()) {
            original = choice(body, "original_audio", MediaOptions.ORIGINAL_AUDIO, "replace", errors);
            level = number(body, "original_audio_level", 0, 2, 1.0, errors);
        }
        String format = choice(body, "output_format", MediaOptions.FORMATS, null, errors);
        if ("mp4".equals(format) && !kind.hasVideo()) {
            errors.add(new FieldError("output_format", "mp4 needs a video; text-to-audio makes wav, flac, mp3 or m4a"));
            format = null;
        }
        int window = kind == Kind.LONG ? m.limits().bestWindow() : MediaOptions.DEFAULT_WINDOW;
        double overlap = MediaOptions.DEFAULT_OVERLAP;
        if (kind == Kind.LONG) {
            window = integer(body, "window_seconds", m.limits().minWindow(), m.limits().maxWindow(), m.limits().bestWindow(), errors);
            overlap = number(body, "overlap_seconds", 0.5, Math.min(2, window / 2.0), MediaOptions.DEFAULT_OVERLAP, errors);
        }
        boolean check = !body.has("sound_check") || body.get("sound_check").isNull() || bool(body, "sound_check", errors);
        Double loudness = body.hasNonNull("loudness_lufs") ? number(body, "loudness_lufs", -30, -5, -14, errors) : null;
        double ceiling = number(body, "true_peak_dbtp", -9, 0, MediaOptions.DEFAULT_TRUE_PEAK, errors);
        // A model that makes several samples itself takes num_samples as its own (not Foley's takes), but on the long path.
        int samples = m.samplesItself() && kind != Kind.LONG ? 1 : integer(body, "num_samples", 1, MediaOptions.MAX_SAMPLES, 1, errors);
        boolean sceneCuts = true;
        List<Segment> segments = List.of();
        if (kind.hasVideo()) {
            sceneCuts = !body.hasNonNull("scene_cuts") || bool(body, "scene_cuts", errors);
            JsonNode d = body.get(m.hosted("duration").orElse("duration"));
            int cover = d != null && d.canConvertToInt() ? Math.max(0, d.asInt()) : 0;
            if (kind == Kind.VIDEO && cover == 0) {
                // The short path covers its duration (the model's default), or at most the model's longest request.
                String dn = m.hosted("duration").orElse("duration");
                Object dflt = m.params().stream().filter(q -> q.name().equals(dn)).findFirst().map(dev.foley.model.Param::defaultValue)
                        .orElse(null);
                cover = dflt instanceof Number n ? n.intValue() : m.limits().maxSeconds();
            }
            segments = SegmentFields.parse(body, cover, errors);
            if (kind == Kind.VIDEO && !segments.isEmpty() && body.path("enable_sync_mode").asBoolean(false)) {
                errors.add(new FieldError("enable_sync_mode", "not with segments: a request with segments is windowed, and answered"
                        + " at once (follow its result URL or webhook)"));
            }
        }
        MediaOptions o = new MediaOptions(original, level, format, window, overlap, check, loudness, ceiling, samples, sceneCuts, segments);
        if (samples > 1 && !check) {
            errors.add(new FieldError("num_samples", "takes are ranked by their sound check: not with sound_check false"));
        }
        return o;
    }

    private static String choice(JsonNode body, String name, List<String> allowed, String dflt, List<FieldError> errors) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isTextual() || !allowed.contains(v.textValue())) {
            errors.add(new FieldError(name, "must be one of " + String.join(", ", allowed) + ", got " + shown(v)));
            return dflt;
        }
        return v.textValue();
    }

    /** Checks the {@code webhook} query parameter. */
    public void checkWebhook(String webhook, List<FieldError> errors) {
        urls.check(webhook).ifPresent(r -> errors.add(new FieldError("webhook", r)));
    }

    static String unknownReason(String name) {
        String alias = ALIASES.get(name);
        if (alias != null) {
            return "unknown field; did you mean " + alias + "?";
        }
        for (String known : ALL_FIELDS) {
            if (distance(name, known) <= 2) {
                return "unknown field; did you mean " + known + "?";
            }
        }
        return "unknown field";
    }

    static String string(JsonNode body, String name, boolean required, int max, List<FieldError> errors) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            if (required) {
                errors.add(new FieldError(name, "required"));
            }
            return null;
        }
        if (!v.isTextual()) {
            errors.add(new FieldError(name, "must be a string, got " + shown(v)));
            return null;
        }
        String s = v.textValue();
        if (required && s.isBlank()) {
            errors.add(new FieldError(name, "must not be blank"));
            return null;
        }
        if (s.length() > max) {
            errors.add(new FieldError(name, "must be at most " + max + " characters, got " + s.length()));
            return null;
        }
        if (hasLoneSurrogate(s)) {
            errors.add(new FieldError(name, "must be valid Unicode text (it has an unpaired surrogate)"));
            return null;
        }
        return s;
    }

    /** An integer parameter of the model's, by its range and default (0 for none). */
    private static int integer(JsonNode body, dev.foley.model.Param p, List<FieldError> errors) {
        return integer(body, p.name(), p.minInt(), p.maxInt(), p.defaultValue() instanceof Integer d ? d : 0, errors);
    }

    /** A number parameter of the model's, by its range and default. */
    private static double number(JsonNode body, dev.foley.model.Param p, List<FieldError> errors) {
        return number(body, p.name(), p.min(), p.max(), p.defaultValue() instanceof Double d ? d : 0, errors);
    }

    static int integer(JsonNode body, String name, int min, int max, int dflt, List<FieldError> errors) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            return dflt;
        }
        String want = "must be an integer between " + min + " and " + max + ", got " + shown(v);
        if (!v.isNumber()) {
            errors.add(new FieldError(name, want));
            return dflt;
        }
        BigDecimal d = v.decimalValue();
        boolean integral = d.signum() == 0 || d.stripTrailingZeros().scale() <= 0;
        if (!integral || d.compareTo(BigDecimal.valueOf(min)) < 0 || d.compareTo(BigDecimal.valueOf(max)) > 0) {
            errors.add(new FieldError(name, want));
            return dflt;
        }
        return d.intValueExact();
    }

    static double number(JsonNode body, String name, double min, double max, double dflt, List<FieldError> errors) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber() || v.decimalValue().compareTo(BigDecimal.valueOf(min)) < 0
                || v.decimalValue().compareTo(BigDecimal.valueOf(max)) > 0) {
            errors.add(new FieldError(name, "must be a number between " + fmt(min) + " and " + fmt(max)
                    + ", got " + shown(v)));
            return dflt;
        }
        return v.doubleValue();
    }

    static boolean bool(JsonNode body, String name, List<FieldError> errors) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            errors.add(new FieldError(name, "must be true or false, got " + shown(v)));
            return false;
        }
        return v.booleanValue();
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    /** The offending value as JSON, cut short: enough to recognise, never a wall of text. */
    static String shown(JsonNode v) {
        if (v.isObject()) {
            return "an object";
        }
        if (v.isArray()) {
            return "an array";
        }
        String s;
        if (v.isIntegralNumber()) {
            s = v.bigIntegerValue().toString();
        } else if (v.isNumber()) {
            s = v.decimalValue().toString();
        } else {
            s = v.toString();
        }
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    static String typeName(JsonNode v) {
        return switch (v.getNodeType()) {
            case ARRAY -> "an array";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> "a " + v.getNodeType().name().toLowerCase();
        };
    }

    static String shorten(String name) {
        return name.length() > 64 ? name.substring(0, 64) + "..." : name;
    }

    private static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return true;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    static int distance(String a, String b) {
        if (Math.abs(a.length() - b.length()) > 2) {
            return 3;
        }
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
