package dev.foley.prediction;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.model.Model;
import dev.foley.model.Models;
import dev.foley.model.Param;
import dev.foley.net.UrlPolicy;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks a request to one model of the registry against that model's own parameters (their hosted
 * names, types, ranges, defaults), Foley's extensions and, on the long path, Foley's windows. Every
 * problem is reported, each naming the model's own field; a field another model takes is named as
 * that (Kling has no {@code prompt}: it says {@code sound_effect_prompt}).
 */
final class ModelFields {

    private final Model model;
    private final Kind kind;
    private final UrlPolicy urls;

    ModelFields(Model model, Kind kind, UrlPolicy urls) {
        this.model = model;
        this.kind = kind;
        this.urls = urls;
    }

    /** The fields the model's path takes: its own, Foley's extensions, and on the long path the windows and duration. */
    static Set<String> fieldsOf(Model m, Kind kind) {
        Set<String> out = new TreeSet<>();
        m.params().forEach(p -> out.add(p.name()));
        out.addAll(RequestValidator.MEDIA_FIELDS);
        if (!"video".equals(m.input())) {
            out.removeAll(Set.of("original_audio", "original_audio_level"));
        }
        if (kind == Kind.LONG) {
            out.addAll(RequestValidator.WINDOW_FIELDS);
            out.add("duration");
        }
        if (kind.hasVideo() && "video".equals(m.input())) {
            out.addAll(RequestValidator.SCENE_FIELDS);
        }
        return out;
    }

    PredictionRequest validate(JsonNode body) throws InvalidRequestException {
        List<FieldError> errors = new ArrayList<>();
        Set<String> known = fieldsOf(model, kind);
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!known.contains(name)) {
                errors.add(new FieldError(RequestValidator.shorten(name), unknown(name, known)));
            }
        }
        ObjectNode checked = body.deepCopy();
        for (Param p : model.params()) {
            if (kind == Kind.LONG && p.name().equals("num_samples")) {
                continue; // Foley's takes per window there, checked with the extensions
            }
            if (kind == Kind.LONG && p.name().equals("duration")) {
                check(Models.longDuration(model), body, errors);
                continue;
            }
            check(p, body, errors);
        }
        if (kind == Kind.LONG && !model.has("duration")) {
            check(Models.longDuration(model), body, errors);
        }
        MediaOptions media = RequestValidator.media(kind, model, body, errors);
        if (!errors.isEmpty()) {
            throw new InvalidRequestException(errors);
        }
        PredictionRequest r = PredictionRequest.ofModel(kind, model, checked);
        return new PredictionRequest(r.kind(), r.video(), r.prompt(), r.negativePrompt(), r.numInferenceSteps(), r.duration(),
                r.guidanceScale(), r.maskAwayClip(), r.seed(), r.enableSyncMode(), media, r.model(), r.extra());
    }

    private void check(Param p, JsonNode body, List<FieldError> errors) {
        JsonNode v = body.get(p.name());
        switch (p.type()) {
            case URL -> {
                String s = RequestValidator.string(body, p.name(), true, UrlPolicy.MAX_LENGTH, errors);
                if (s != null) {
                    urls.checkVideo(s).ifPresent(r -> errors.add(new FieldError(p.name(), r)));
                }
            }
            case STRING -> RequestValidator.string(body, p.name(), p.required(), p.max() == null ? Models.MAX_PROMPT_CHARS : p.max().intValue(),
                    errors);
            case INTEGER -> {
                if (v != null && !v.isNull() || p.required()) {
                    if (v == null || v.isNull()) {
                        errors.add(new FieldError(p.name(), "required"));
                    } else {
                        RequestValidator.integer(body, p.name(), p.minInt(), p.maxInt(), 0, errors);
                    }
                }
            }
            case NUMBER -> {
                if (v != null && !v.isNull()) {
                    RequestValidator.number(body, p.name(), p.min(), p.max(), 0, errors);
                }
            }
            case BOOLEAN -> RequestValidator.bool(body, p.name(), errors);
        }
    }

    /** Why a field is unknown here: another name of this model's for the same thing, a near name, or none. */
    private String unknown(String name, Set<String> known) {
        String common = switch (name) {
            case "video_url" -> "video";
            case "text_prompt", "sound_effect_prompt" -> "prompt";
            case "num_steps", "steps" -> "num_inference_steps";
            case "cfg_strength", "cfg_scale", "cfg" -> "guidance_scale";
            case "negative", "nprompt" -> "negative_prompt";
            default -> name;
        };
        var hosted = model.hosted(common).filter(known::contains);
        if (hosted.isPresent() && !hosted.get().equals(name)) {
            return "unknown field for " + model.title() + "; did you mean " + hosted.get() + "?";
        }
        for (String k : known) {
            if (RequestValidator.distance(name, k) <= 2) {
                return "unknown field for " + model.title() + "; did you mean " + k + "?";
            }
        }
        if (kind != Kind.LONG && RequestValidator.WINDOW_FIELDS.contains(name)) {
            return "only the long path cuts windows; post to /api/v3/" + model.longPath().orElse("");
        }
        return "unknown field for " + model.title() + " (it takes " + String.join(", ", known) + ")";
    }
}
