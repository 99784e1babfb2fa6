package dev.foley.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;
import dev.foley.lifecycle.WindowRules;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.Windows;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * A prediction's children, decided without I/O: which there are (a long video's windows, with
 * takes each window's takes; or a short prediction's takes), how each is named to a user, each
 * one's request, and each take's seed put into the sound check's report.
 */
public final class Children {

    private Children() {
    }

    /**
     * The children of {@code p}, one entry per child item in index order: a long video's windows
     * (with N takes, window 0 N times, then window 1 N times, …), or its takes (each the whole clip).
     */
    public static List<Windows.Window> of(Prediction p) {
        var o = p.request().media();
        List<Windows.Window> children = new ArrayList<>();
        if (p.hasTakes()) {
            for (int i = 0; i < o.samples(); i++) {
                children.add(new Windows.Window(i, 0, p.request().duration()));
            }
            return children;
        }
        int n = p.takesPerWindow();
        for (Windows.Window w : p.windows().plan(p.request())) {
            for (int t = 0; t < n; t++) {
                children.add(w);
            }
        }
        return children;
    }

    /** How child {@code index} is named to a user: "take 2 of 3", "window 4 of 20 (21.0–29.0 s)", with takes "…, take 2 of 3". */
    public static String name(Prediction p, List<Windows.Window> children, int index) {
        int n = p.hasTakes() ? p.request().media().samples() : p.takesPerWindow();
        String take = "take " + (index % n + 1) + " of " + n;
        if (p.hasTakes()) {
            return take;
        }
        Windows.Window w = children.get(index);
        return String.format(Locale.ROOT, "window %d of %d (%.1f–%.1f s)", w.index() + 1, children.size() / n, w.start(), w.end())
                + (n > 1 ? ", " + take : "");
    }

    /**
     * Child {@code st} of {@code p}, for stretch {@code w}: a short prediction of its own, never
     * charged, never shown. A take is the whole request with a seed of its own; a window, its clip
     * of the video (with takes, each take of a window its clip with a seed of its own, take 0 the
     * window's seed). {@code randomSeed} gives takes of a request without a seed distinct seeds.
     */
    public static Prediction child(Prediction p, WindowRules.Start st, Windows.Window w, Instant now, IntSupplier randomSeed) {
        var r = p.request();
        int n = p.takesPerWindow();
        Integer windowSeed = Windows.seedOf(r.seed(), w.index());
        var request = p.hasTakes()
                ? r.child(r.kind(), r.video(), r.duration(), takeSeed(r.seed(), st.index(), randomSeed))
                : r.child(Kind.VIDEO, MediaWork.WORK_REF + MediaWork.windowClipKey(p.id(), w.index()),
                        r.spec().takes("duration") ? w.providerDuration() : 0,
                        n > 1 ? takeSeed(windowSeed, st.index() % n, randomSeed) : windowSeed);
        if (!p.hasTakes()) {
            // A window inside a segment is sent with the segment's prompt (windows never cross a segment's edge).
            var segment = r.media().segmentAt(w.start() + w.length() / 2);
            if (segment.isPresent()) {
                request = request.withPrompts(segment.get().prompt(), segment.get().negativePrompt());
            }
        }
        return Prediction.builder(st.idIn(p.id()), p.keyId(), request, now).dueAt(now).build();
    }

    /**
     * Take {@code index}'s seed: the request's for the first (so one take of a seeded request is the
     * sound a single request makes), then derived from it; distinct random seeds without one.
     */
    static Integer takeSeed(Integer requestSeed, int index, IntSupplier randomSeed) {
        if (requestSeed == null) {
            return randomSeed.getAsInt();
        }
        return Windows.seedOf(requestSeed, index);
    }

    /**
     * The sound check's reports with each take's seed put in: {@code take.seed} (short takes, by the
     * take's index), and {@code windows[].takes[].seed} (a long video's, window w's take t being
     * child w × {@code perWindow} + t). {@code seeds}: each child's seed, null where none was sent.
     */
    public static List<String> withSeeds(List<String> quality, Map<Integer, Integer> seeds, int perWindow) {
        List<String> out = new ArrayList<>();
        for (String q : quality) {
            var n = (ObjectNode) Json.parse(q);
            if (n.get("take") instanceof ObjectNode take) {
                putSeed(take, seeds.get(take.get("index").asInt()));
            }
            for (var window : n.path("windows")) {
                for (var take : window.path("takes")) {
                    putSeed((ObjectNode) take, seeds.get(window.get("index").asInt() * perWindow + take.get("index").asInt()));
                }
            }
            out.add(Json.write(n));
        }
        return out;
    }

    private static void putSeed(ObjectNode take, Integer seed) {
        if (seed == null) {
            take.putNull("seed");
        } else {
            take.put("seed", seed);
        }
    }
}
