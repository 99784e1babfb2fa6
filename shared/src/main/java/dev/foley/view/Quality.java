package dev.foley.view;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;
import java.util.List;

/**
 * The sound check as clients read it ({@code data.quality[i]}, {@code ./foley check --json}): one
 * shape wherever it is shown. A value that could not be measured is {@code null}, with a reason,
 * never a made-up number.
 */
public final class Quality {

    /** Sync against the picture: the offset in ms (+ = the sound late) and its confidence, or a reason. */
    public record Sync(Double offsetMs, Double confidence, String reason) {
    }

    private Quality() {
    }

    /**
     * {@code {sync: {offset_ms, confidence, reason?} | null, loudness: {integrated_lufs, true_peak_dbtp,
     * range_lu}, flags: [...]}}; {@code sync} null when there was no picture to check against.
     */
    public static ObjectNode json(Sync sync, Double integratedLufs, double truePeakDbtp, double rangeLu, List<String> flags) {
        ObjectNode q = Json.object();
        if (sync == null) {
            q.putNull("sync");
        } else {
            ObjectNode s = q.putObject("sync");
            number(s, "offset_ms", sync.offsetMs());
            number(s, "confidence", sync.confidence());
            if (sync.reason() != null) {
                s.put("reason", sync.reason());
            }
        }
        ObjectNode l = q.putObject("loudness");
        number(l, "integrated_lufs", integratedLufs == null ? null : round1(integratedLufs));
        number(l, "true_peak_dbtp", Double.isInfinite(truePeakDbtp) ? null : round1(truePeakDbtp));
        l.put("range_lu", round1(rangeLu));
        ArrayNode f = q.putArray("flags");
        flags.forEach(f::add);
        return q;
    }

    /**
     * A stored report read back for a client: numbers as plain decimals ({@code -20.0}, not the
     * {@code -2E+1} an exact-decimal reader's normalised value prints as).
     */
    public static com.fasterxml.jackson.databind.JsonNode read(String stored) {
        return plain(Json.parse(stored));
    }

    /** {@code node} with every decimal number as a plain double. */
    public static com.fasterxml.jackson.databind.JsonNode plain(com.fasterxml.jackson.databind.JsonNode node) {
        if (node.isBigDecimal() || node.isFloatingPointNumber()) {
            return com.fasterxml.jackson.databind.node.DoubleNode.valueOf(node.doubleValue());
        }
        if (node.isObject()) {
            ObjectNode out = Json.object();
            node.properties().forEach(e -> out.set(e.getKey(), plain(e.getValue())));
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = Json.MAPPER.createArrayNode();
            node.forEach(v -> out.add(plain(v)));
            return out;
        }
        return node;
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static void number(ObjectNode o, String name, Double v) {
        if (v == null || v.isNaN()) {
            o.putNull(name);
        } else {
            o.put(name, v);
        }
    }
}
