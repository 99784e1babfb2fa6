package dev.foley.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.model.Model;
import dev.foley.pipeline.MediaWork;
import dev.foley.prediction.FieldError;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.Redo;
import dev.foley.prediction.Segment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code POST /api/v3/predictions/{id}/regenerate} (a Foley addition), its rules without I/O: the
 * body checked ({@code start}, {@code end}, {@code prompt?}, {@code negative_prompt?},
 * {@code seed?}, {@code num_samples?}), the parent checked (completed, a video), and the new
 * prediction's request made: its parent's request on the model's long path (its windows, format,
 * original sound and options), with the new prompt, seed and takes, and the {@link Redo} that
 * limits it to the stretch and splices it into the parent's result.
 */
final class Regenerate {

    static final Set<String> FIELDS = Set.of("start", "end", "prompt", "negative_prompt", "seed", "num_samples");

    /** What the admission is given: the body to validate on {@code model}'s long path, and the stretch. */
    record Application(String model, ObjectNode body, Redo redo) {
    }

    private Regenerate() {
    }

    static Application of(Prediction parent, JsonNode body) throws ApiException {
        if (parent.kind() == Kind.TEXT) {
            throw new ApiException(400, "regenerate: prediction " + parent.id() + " is text-to-audio; a stretch is redone against"
                    + " its video, and it has none");
        }
        if (parent.phase() != Phase.COMPLETED) {
            throw new ApiException(409, "regenerate: prediction " + parent.id() + " is " + parent.phase().status()
                    + "; only a completed prediction's result can be redone");
        }
        if (body == null || !body.isObject()) {
            throw ApiException.invalid(List.of(new FieldError("body", "must be a JSON object {start, end, prompt?, negative_prompt?,"
                    + " seed?, num_samples?}")));
        }
        List<FieldError> errors = new ArrayList<>();
        body.fieldNames().forEachRemaining(n -> {
            if (!FIELDS.contains(n)) {
                errors.add(new FieldError(FoleyApi.shorten(n, 64), "unknown field; regenerate takes start, end, prompt, negative_prompt,"
                        + " seed and num_samples"));
            }
        });
        double covered = covered(parent);
        Double start = seconds(body, "start", errors);
        Double end = seconds(body, "end", errors);
        if (start != null && end != null) {
            if (end <= start) {
                errors.add(new FieldError("end", String.format(Locale.ROOT, "must be after start (%s s), got %s s", num(start), num(end))));
            } else if (end - start < Segment.MIN_SECONDS - 1e-9) {
                errors.add(new FieldError("end", String.format(Locale.ROOT, "a stretch is at least %s s; this one is %s s",
                        num(Segment.MIN_SECONDS), num(end - start))));
            } else if (end > covered + 1e-6) {
                errors.add(new FieldError("end", String.format(Locale.ROOT, "%s s is past the end of the %s s prediction %s covers",
                        num(end), num(covered), parent.id())));
            }
        }
        // Checked here under regenerate's own names (the model's long path would name them as the model does).
        text(body, "prompt", true, errors);
        text(body, "negative_prompt", false, errors);
        whole(body, "seed", 0, 65535, true, errors);
        whole(body, "num_samples", 1, dev.foley.prediction.MediaOptions.MAX_SAMPLES, false, errors);
        if (!errors.isEmpty()) {
            throw ApiException.invalid(errors);
        }
        Model m = parent.request().spec();
        ObjectNode b = parent.request().toJson();
        b.remove("regenerate");
        if (!parent.request().media().sceneCuts()) {
            b.put("scene_cuts", false);
        }
        b.put("output_format", parent.request().media().formatFor(parent.kind()));
        b.remove("num_samples");
        if (b.has("enable_sync_mode")) {
            b.put("enable_sync_mode", false); // windowed work: answered at once, followed by its result URL or webhook
        }
        for (String f : List.of("prompt", "negative_prompt", "seed")) {
            if (body.has(f)) {
                b.set(m.hosted(f).orElse(f), body.get(f)); // checked on the model's long path, under its own names
            }
        }
        if (body.has("prompt")) {
            b.remove("segments"); // a new prompt is the stretch's, whatever segments the parent had there
        }
        if (body.has("num_samples")) {
            b.set("num_samples", body.get("num_samples"));
        }
        if (body.has("seed") && body.get("seed").isNull()) {
            b.remove(m.hosted("seed").orElse("seed"));
        }
        List<String> sources = new ArrayList<>();
        if (parent.kind() == Kind.LONG) {
            sources.add(MediaWork.WORK_REF + "work/" + parent.id() + "/source"); // the cut's copy, kept two days
        }
        String output = parent.outputKeys().get(0);
        if (output.endsWith(".mp4")) {
            sources.add(MediaWork.WORK_REF + output); // the result's own picture
        }
        String video = parent.request().video();
        if (video != null && !video.startsWith(MediaWork.WORK_REF)) {
            sources.add(video);
        }
        for (String s : parent.request().media().redo() == null ? List.<String>of() : parent.request().media().redo().sources()) {
            if (!sources.contains(s)) {
                sources.add(s); // a regenerate of a regenerate: its parent's picture too
            }
        }
        // The parent's shots, found when its whole video was cut (a regenerate of a regenerate passes its own on).
        Redo before = parent.request().media().redo();
        List<Double> cuts = before != null ? before.parentCuts()
                : parent.kind() == Kind.LONG && parent.request().media().sceneCuts() && parent.windows() != null ? parent.windows().cuts()
                : null;
        return new Application(m.id(), b, new Redo(parent.id(), start, end, output, sources, cuts));
    }

    /** How many seconds of video the parent's result covers (a short prediction's: its duration, or its model's most). */
    static double covered(Prediction parent) {
        if (parent.windows() != null && parent.kind() == Kind.LONG) {
            return parent.windows().seconds();
        }
        int d = parent.request().duration();
        return d > 0 ? d : parent.request().spec().limits().maxSeconds();
    }

    private static Double seconds(JsonNode body, String name, List<FieldError> errors) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            errors.add(new FieldError(name, "required: seconds into the prediction's result"));
            return null;
        }
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
            errors.add(new FieldError(name, "must be a number of seconds, got " + (v.isTextual() ? "\"" + FoleyApi.shorten(v.asText(), 40)
                    + "\"" : v.getNodeType().name().toLowerCase(Locale.ROOT))));
            return null;
        }
        if (v.asDouble() < 0) {
            errors.add(new FieldError(name, "must be at least 0, got " + num(v.asDouble())));
            return null;
        }
        return v.asDouble();
    }

    private static void text(JsonNode body, String name, boolean notBlank, List<FieldError> errors) {
        JsonNode v = body.get(name);
        if (v == null) {
            return;
        }
        if (!v.isTextual()) {
            errors.add(new FieldError(name, "must be a string, got " + v.getNodeType().name().toLowerCase(Locale.ROOT)));
        } else if (notBlank && v.textValue().isBlank()) {
            errors.add(new FieldError(name, "must not be blank (leave it out to keep the prediction's)"));
        } else if (v.textValue().length() > dev.foley.model.Models.MAX_PROMPT_CHARS) {
            errors.add(new FieldError(name, "at most " + dev.foley.model.Models.MAX_PROMPT_CHARS + " characters, got "
                    + v.textValue().length()));
        }
    }

    private static void whole(JsonNode body, String name, int min, int max, boolean nullable, List<FieldError> errors) {
        JsonNode v = body.get(name);
        if (v == null || nullable && v.isNull()) {
            return;
        }
        if (!v.isIntegralNumber() || v.asLong() < min || v.asLong() > max) {
            errors.add(new FieldError(name, "must be an integer between " + min + " and " + max + ", got "
                    + (v.isTextual() ? "\"" + FoleyApi.shorten(v.asText(), 40) + "\"" : FoleyApi.shorten(v.toString(), 40))));
        }
    }

    private static String num(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.3f", v).replaceAll("0+$", "");
    }
}
