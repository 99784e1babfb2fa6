package dev.foley.view;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;
import dev.foley.prediction.Prediction;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/** A prediction as the hosted API shows it in {@code data}: field for field, in its order. */
public final class PredictionView {

    static final DateTimeFormatter ISO_MILLIS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private PredictionView() {
    }

    /** Links clients can download outputs from (presigned S3 GETs, or a public base URL). */
    @FunctionalInterface
    public interface OutputLinks {
        List<String> urls(Prediction p);

        OutputLinks NONE = p -> List.of();
    }

    public static ObjectNode data(Prediction p, String baseUrl, OutputLinks links) {
        ObjectNode d = Json.object();
        d.put("id", p.id());
        d.put("model", p.request().path());
        ArrayNode outputs = d.putArray("outputs");
        if (p.phase() == dev.foley.prediction.Phase.COMPLETED) {
            links.urls(p).forEach(outputs::add);
        }
        d.putObject("urls").put("get", baseUrl + "/api/v3/predictions/" + p.id() + "/result");
        ArrayNode nsfw = d.putArray("has_nsfw_contents");
        p.nsfw().forEach(nsfw::add);
        d.put("status", p.phase().status());
        d.put("created_at", ISO_MILLIS.format(p.createdAt()));
        d.put("error", p.error());
        d.putObject("timings").put("inference", p.inferenceMs());
        var redo = p.request().media().redo();
        if (redo != null) { // a regenerate: the stretch of its parent it redoes (a Foley addition)
            d.putObject("regenerates").put("id", redo.parentId()).put("start", redo.start()).put("end", redo.end());
        }
        if (p.kind() == dev.foley.prediction.Kind.LONG) {
            var w = p.windows();
            int total = w == null ? 0 : w.total();
            boolean allDone = p.phase() == dev.foley.prediction.Phase.UPSTREAM_DONE || p.phase() == dev.foley.prediction.Phase.COMPLETED;
            int done = allDone ? total : w == null ? 0 : w.done();
            int takes = p.takesPerWindow();
            var progress = d.putObject("progress").put("windows_done", done / takes).put("windows_total", total / takes);
            if (takes > 1) { // each window's takes: jobs at the provider
                progress.put("takes_done", done).put("takes_total", total);
            }
            if (w != null && p.request().media().sceneCuts()) { // the shots found when the video was cut (a Foley addition)
                ArrayNode scenes = d.putArray("scenes");
                for (double[] sc : dev.foley.prediction.Windows.scenes(w.seconds(), w.cuts())) {
                    scenes.addObject().put("start", sc[0]).put("end", sc[1]);
                }
            }
        }
        if (p.phase() == dev.foley.prediction.Phase.COMPLETED && !p.quality().isEmpty()) {
            ArrayNode q = d.putArray("quality");
            ArrayNode takes = Json.MAPPER.createArrayNode();
            for (String s : p.quality()) {
                var one = (ObjectNode) Quality.read(s);
                var take = one.remove("take");
                var windows = one.remove("windows");
                if (windows != null) {
                    d.set("windows", windows); // a long video's takes: each window's range, its takes' scores, the one joined
                }
                q.add(one);
                if (take != null) {
                    ((ObjectNode) take).set("quality", one);
                    takes.add(take);
                }
            }
            if (!takes.isEmpty()) {
                d.set("takes", takes); // best first, as outputs: each take's index, seed, score and sound check
            }
        }
        return d;
    }

    /** The same with the request echoed as {@code input} (the webhook body and list items). */
    public static ObjectNode dataWithInput(Prediction p, String baseUrl, OutputLinks links) {
        ObjectNode d = data(p, baseUrl, links);
        ObjectNode input = p.request().toJson();
        if (input.get("regenerate") instanceof ObjectNode r) { // what it redoes, not where Foley keeps its parent's files
            input.set("regenerate", Json.object().put("parent", r.path("parent").asText()).put("start", r.path("start").asDouble())
                    .put("end", r.path("end").asDouble()));
        }
        d.set("input", input);
        return d;
    }
}
