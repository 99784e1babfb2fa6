package dev.foley.prediction;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Checks {@code segments} ({@code [{start, end, prompt, negative_prompt?}]}, a Foley addition):
 * an array of at most {@link Segment#MAX} objects, each with a {@code start} of at least 0, an
 * {@code end} after it by at least {@link Segment#MIN_SECONDS}, a non-blank {@code prompt}, in
 * order and not overlapping, inside the {@code duration} asked when one is; each problem named by
 * its place ({@code segments[2].start}). Inside the video itself is checked when the video is cut
 * (its length is known only then).
 */
final class SegmentFields {

    private SegmentFields() {
    }

    /** The segments of {@code body} (empty when it has none); {@code cover}: the seconds asked (0: the whole video). */
    static List<Segment> parse(JsonNode body, int cover, List<FieldError> errors) {
        JsonNode a = body.get("segments");
        if (a == null || a.isNull()) {
            return List.of();
        }
        if (!a.isArray()) {
            errors.add(new FieldError("segments", "must be an array of {start, end, prompt}, got " + RequestValidator.shown(a)));
            return List.of();
        }
        if (a.size() > Segment.MAX) {
            errors.add(new FieldError("segments", "at most " + Segment.MAX + " segments, got " + a.size()));
            return List.of();
        }
        List<Segment> out = new ArrayList<>();
        double previousEnd = 0;
        for (int i = 0; i < a.size(); i++) {
            String at = "segments[" + i + "]";
            JsonNode g = a.get(i);
            if (!g.isObject()) {
                errors.add(new FieldError(at, "must be an object {start, end, prompt}, got " + RequestValidator.shown(g)));
                continue;
            }
            int before = errors.size();
            for (var it = g.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (!List.of("start", "end", "prompt", "negative_prompt").contains(name)) {
                    errors.add(new FieldError(at + "." + RequestValidator.shorten(name), "unknown field; a segment has start, end, prompt"
                            + " and negative_prompt"));
                }
            }
            Double start = seconds(g, at, "start", errors);
            Double end = seconds(g, at, "end", errors);
            String prompt = RequestValidator.string(g, "prompt", true, RequestValidator.MAX_PROMPT_CHARS, errors);
            String negative = RequestValidator.string(g, "negative_prompt", false, RequestValidator.MAX_PROMPT_CHARS, errors);
            for (int e = before; e < errors.size(); e++) { // the element's own field names carry its place
                FieldError f = errors.get(e);
                if (f.field().equals("prompt") || f.field().equals("negative_prompt")) {
                    errors.set(e, new FieldError(at + "." + f.field(), f.reason()));
                }
            }
            if (start == null || end == null) {
                continue;
            }
            if (end <= start) {
                errors.add(new FieldError(at + ".end", fmt("must be after start (%s s), got %s s", start, end)));
                continue;
            }
            if (end - start < Segment.MIN_SECONDS - 1e-9) {
                errors.add(new FieldError(at + ".end", fmt("a segment is at least %s s long; this one is %s s", Segment.MIN_SECONDS,
                        end - start)));
                continue;
            }
            if (start < previousEnd - 1e-9) {
                errors.add(new FieldError(at + ".start", fmt("segments are in order and do not overlap: starts at %s s, before the"
                        + " previous one ends (%s s)", start, previousEnd)));
                continue;
            }
            if (cover > 0 && end > cover + 1e-9) {
                errors.add(new FieldError(at + ".end", fmt("ends at %s s, past the %s s of video asked (duration)", end, cover)));
                continue;
            }
            previousEnd = end;
            if (errors.size() == before) {
                out.add(new Segment(start, end, prompt, negative));
            }
        }
        return out;
    }

    private static Double seconds(JsonNode g, String at, String name, List<FieldError> errors) {
        JsonNode v = g.get(name);
        if (v == null || v.isNull()) {
            errors.add(new FieldError(at + "." + name, "required: seconds from the start of the video"));
            return null;
        }
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
            errors.add(new FieldError(at + "." + name, "must be a number of seconds, got " + RequestValidator.shown(v)));
            return null;
        }
        if (v.asDouble() < 0) {
            errors.add(new FieldError(at + "." + name, "must be at least 0, got " + v.asDouble()));
            return null;
        }
        return v.asDouble();
    }

    private static String fmt(String f, Object... args) {
        Object[] shown = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            shown[i] = args[i] instanceof Number n ? trim(n.doubleValue()) : args[i];
        }
        return String.format(Locale.ROOT, f, shown);
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.3f", v).replaceAll("0+$", "");
    }
}
