package dev.foley.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.foley.model.Model;
import dev.foley.model.Models;
import dev.foley.model.Param;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Build step (run by Maven after compiling {@code shared}): completes {@code openapi.yaml} with a
 * path and a request schema for every model of the registry other than MMAudio v2 (whose paths
 * the YAML documents by hand), from their registry entries, and writes the whole as
 * {@code openapi.yaml} and {@code openapi.json} in the classes, so no YAML parser goes into a
 * Lambda zip. The YAML parser is a build-time dependency only.
 */
public final class OpenApiJson {

    private OpenApiJson() {
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        ObjectNode tree = (ObjectNode) yaml.readTree(OpenApi.TEXT);
        withModels(tree);
        Files.createDirectories(out.getParent());
        Files.writeString(out, new ObjectMapper().writeValueAsString(tree), StandardCharsets.UTF_8);
        Files.writeString(out.resolveSibling("openapi.yaml"), yaml.writerWithDefaultPrettyPrinter().writeValueAsString(tree),
                StandardCharsets.UTF_8);
    }

    /** Adds each non-MMAudio model's submit path (and long path) and request schema to {@code doc}. */
    static void withModels(ObjectNode doc) {
        ObjectNode paths = (ObjectNode) doc.get("paths");
        ObjectNode schemas = (ObjectNode) doc.at("/components/schemas");
        JsonNode template = doc.at("/paths/~1api~1v3~1wavespeed-ai~1mmaudio-v2/post");
        addModelPaths(doc);
        for (Model m : Models.ALL) {
            if (m.equals(Models.MMAUDIO_V2) || m.equals(Models.MMAUDIO_V2_TEXT)) {
                continue;
            }
            String name = schemaName(m);
            schemas.set(name, schema(m, false));
            paths.putObject("/api/v3/" + m.id()).set("post", operation(template, m, name, false));
            if (m.longPath().isPresent()) {
                schemas.set("Long" + name, schema(m, true));
                paths.putObject("/api/v3/" + m.longPath().get()).set("post", operation(template, m, "Long" + name, true));
            }
        }
    }

    /** Every enum that lists the model paths ({@code data.model}) lists them all. */
    private static void addModelPaths(JsonNode n) {
        if (n.isObject()) {
            JsonNode e = n.get("enum");
            if (e != null && e.isArray() && e.toString().contains("\"foley/mmaudio-v2-long\"")) {
                var arr = (com.fasterxml.jackson.databind.node.ArrayNode) e;
                for (Model m : Models.ALL) {
                    for (String path : m.longPath().map(l -> java.util.List.of(m.id(), l)).orElse(java.util.List.of(m.id()))) {
                        if (!arr.toString().contains("\"" + path + "\"")) {
                            arr.add(path);
                        }
                    }
                }
            }
            n.forEach(OpenApiJson::addModelPaths);
        } else if (n.isArray()) {
            n.forEach(OpenApiJson::addModelPaths);
        }
    }

    private static String schemaName(Model m) {
        StringBuilder b = new StringBuilder();
        for (String part : m.id().substring(m.id().indexOf('/') + 1).split("[-/.]")) {
            if (!part.isEmpty()) {
                b.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        return b.append("Request").toString();
    }

    private static ObjectNode operation(JsonNode template, Model m, String schema, boolean longPath) {
        ObjectNode op = template.deepCopy();
        String id = schema.substring(0, schema.length() - "Request".length());
        op.put("operationId", "submit" + id);
        op.put("summary", longPath ? m.title() + " on videos of up to " + m.limits().longMaxSeconds() + " s (Foley's long path)"
                : m.title() + ": " + ("video".equals(m.input()) ? "a soundtrack for a video" : "audio from text"));
        op.put("description", (longPath
                ? "Foley cuts the video into windows of " + m.limits().minWindow() + "-" + m.limits().maxWindow() + " s (default "
                        + m.limits().bestWindow() + "), sends each to the model and joins their sound with crossfades. "
                : "The hosted model path, with its own field names. ")
                + "Makes " + m.output().media() + " at " + m.output().sampleRate() + " Hz, " + m.output().channels() + " channel(s). "
                + "Price: $" + java.math.BigDecimal.valueOf(m.price().microUsd(), 6).stripTrailingZeros().toPlainString() + " per "
                + m.price().unit() + (longPath && "video".equals(m.price().unit()) ? " (per window on this path)" : "")
                + ". Licence: " + m.licence() + ". Served by: " + String.join(", ", m.providers().keySet().stream().sorted().toList()) + ".");
        ((ObjectNode) op.at("/requestBody/content/application~1json")).putObject("schema").put("$ref", "#/components/schemas/" + schema);
        return op;
    }

    private static ObjectNode schema(Model m, boolean longPath) {
        ObjectNode s = dev.foley.json.Json.object().put("type", "object").put("additionalProperties", false);
        var required = s.putArray("required");
        ObjectNode props = s.putObject("properties");
        for (Param p : m.params()) {
            if (longPath && p.name().equals("num_samples")) {
                continue;
            }
            Param q = longPath && p.name().equals("duration") ? Models.longDuration(m) : p;
            ObjectNode n = q.json();
            n.remove("name");
            n.remove("required");
            if (n.has("max_length")) {
                n.set("maxLength", n.remove("max_length"));
            }
            props.set(p.name(), n);
            if (q.required()) {
                required.add(p.name());
            }
        }
        if (longPath && !m.has("duration")) {
            ObjectNode n = Models.longDuration(m).json();
            n.remove("name");
            n.remove("required");
            props.set("duration", n);
        }
        for (String f : dev.foley.prediction.RequestValidator.MEDIA_FIELDS) {
            if (f.equals("num_samples") && m.samplesItself() && !longPath) {
                continue;
            }
            if (f.startsWith("original_audio") && !"video".equals(m.input())) {
                continue;
            }
            props.putObject(f).put("$ref", "#/components/schemas/" + (longPath ? "Long" : "") + "VideoToAudioRequest/properties/" + f);
        }
        if (longPath) {
            props.putObject("window_seconds").put("type", "integer").put("minimum", m.limits().minWindow())
                    .put("maximum", m.limits().maxWindow()).put("default", m.limits().bestWindow())
                    .put("description", "Seconds per window sent to the model");
            props.putObject("overlap_seconds").put("$ref", "#/components/schemas/LongVideoToAudioRequest/properties/overlap_seconds");
        }
        if ("video".equals(m.input())) { // segments on either path (a short request with them is windowed)
            props.putObject("scene_cuts").put("$ref", "#/components/schemas/LongVideoToAudioRequest/properties/scene_cuts");
            props.putObject("segments").put("$ref", "#/components/schemas/LongVideoToAudioRequest/properties/segments");
        }
        return s;
    }
}
