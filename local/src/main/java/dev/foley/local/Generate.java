package dev.foley.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * {@code ./foley generate}: the main job in one command. It starts the local stack, puts a local
 * clip in the local S3 (a presigned GET becomes the video URL, as an upload would), submits
 * through the HTTP API like any client, shows progress, and writes the result.
 */
final class Generate {

    static final String DEFAULT_PROMPT = "sound effects that match the action on screen";

    private Generate() {
    }

    /** The command's options; numbers stay as typed, so the API itself judges them (and names what is wrong). */
    record Request(String video, String prompt, String negativePrompt, String duration, String seed, String guidance,
            String steps, boolean maskAwayClip, Path out, String originalAudio, String format, boolean longModel,
            String windowSeconds, String overlapSeconds, String loudness, String truePeak, String samples, String model,
            Map<String, String> params, java.util.List<String> segments, boolean noSceneCuts) {
        Request {
            params = params == null ? Map.of() : params;
            segments = segments == null ? java.util.List.of() : segments;
        }

        Request(String video, String prompt, String negativePrompt, String duration, String seed, String guidance, String steps,
                boolean maskAwayClip, Path out, String originalAudio, String format, boolean longModel, String windowSeconds,
                String overlapSeconds, String loudness, String truePeak, String samples, String model, Map<String, String> params) {
            this(video, prompt, negativePrompt, duration, seed, guidance, steps, maskAwayClip, out, originalAudio, format, longModel,
                    windowSeconds, overlapSeconds, loudness, truePeak, samples, model, params, java.util.List.of(), false);
        }

        Request(String video, String prompt, String negativePrompt, String duration, String seed, String guidance, String steps,
                boolean maskAwayClip, Path out, String originalAudio, String format, boolean longModel, String windowSeconds,
                String overlapSeconds, String loudness, String truePeak, String samples) {
            this(video, prompt, negativePrompt, duration, seed, guidance, steps, maskAwayClip, out, originalAudio, format, longModel,
                    windowSeconds, overlapSeconds, loudness, truePeak, samples, null, Map.of(), java.util.List.of(), false);
        }
    }

    /** The hosted models cut at this many seconds; a longer local clip goes to the long model by itself. */
    static final double HOSTED_LIMIT = 30;

    /** {@code --segment START:END=PROMPT} (seconds): {@code 0:12="rain on a tin roof"}. */
    static final java.util.regex.Pattern SEGMENT = java.util.regex.Pattern.compile("\\s*([^:=]*):([^=]*)=(.*)",
            java.util.regex.Pattern.DOTALL);
    static final String SEGMENT_FORM = "--segment: START:END=PROMPT in seconds, e.g. --segment 0:12=\"rain on a tin roof\"";

    /** The {@code segments} of a request from {@code --segment} values, each matching {@link #SEGMENT} (their numbers checked by the API). */
    static ArrayNode segments(java.util.List<String> given) {
        ArrayNode segments = Json.MAPPER.createArrayNode();
        for (String g : given) {
            var m = SEGMENT.matcher(g);
            if (!m.matches()) {
                throw new IllegalArgumentException(SEGMENT_FORM + "; got '" + g + "'");
            }
            segments.addObject().<ObjectNode>set("start", numberOrText(m.group(1).strip())).<ObjectNode>set("end",
                    numberOrText(m.group(2).strip())).put("prompt", m.group(3).strip());
        }
        return segments;
    }

    static int run(LocalFoley foley, Request r, PrintStream out) throws Exception {
        String videoUrl = null;
        var known = dev.foley.model.Models.byId(r.model() == null ? dev.foley.model.Models.MMAUDIO_V2.id() : r.model().strip());
        if (known.isEmpty()) {
            out.println("--model: unknown model '" + r.model() + "'; Foley knows " + String.join(", ",
                    dev.foley.model.Models.ALL.stream().map(dev.foley.model.Model::id).toList()));
            return 2;
        }
        dev.foley.model.Model model = known.get();
        double limit = model.equals(dev.foley.model.Models.MMAUDIO_V2) ? HOSTED_LIMIT : model.limits().maxSeconds();
        boolean longModel = r.longModel() || r.windowSeconds() != null || r.overlapSeconds() != null || !r.segments().isEmpty()
                || r.noSceneCuts();
        ArrayNode segments = segments(r.segments()); // each already matched SEGMENT (FoleyCli says which does not)
        if (r.video() != null && !isUrl(r.video())) {
            try {
                double seconds = dev.foley.media.Ffmpeg.probe(Path.of(r.video())).seconds();
                if (seconds > limit + 0.05 && !longModel && model.longPath().isPresent() && (r.duration() == null
                        || !r.duration().matches("[0-9]+") || Integer.parseInt(r.duration()) > limit)) {
                    longModel = true;
                    out.printf(Locale.ROOT, "the clip is %.1f s long, past %s %d s: using %s%n", seconds,
                            model.equals(dev.foley.model.Models.MMAUDIO_V2) ? "the hosted models'" : model.title() + "'s", (int) limit,
                            model.longPath().orElseThrow());
                }
            } catch (dev.foley.media.Ffmpeg.UnreadableException e) {
                // the API's media step says what is wrong with it, as it would for any client
            }
        }
        var provider = foley.providers().primary();
        if (r.video() != null && !isUrl(r.video()) && provider.base().isPresent() && !longModel) {
            // A remote provider cannot read this machine's S3: the clip goes to the provider's own storage,
            // as its SDKs upload a local file. (A long video's windows are uploaded the same way, one by one.)
            try {
                videoUrl = uploadTo(provider, Path.of(r.video()), out);
            } catch (dev.foley.provider.ProviderException e) {
                out.println("the upload to " + provider.name() + " failed: " + e.getMessage());
                return 1;
            }
        } else if (r.video() != null) {
            videoUrl = isUrl(r.video()) ? r.video() : upload(foley, Path.of(r.video()), out);
            if (provider.base().isPresent() && !isUrl(r.video())) {
                out.println("each window goes to " + provider.name() + " as an upload of its own");
            }
        }
        ObjectNode body = Json.object();
        if (videoUrl != null) {
            body.put("video", videoUrl);
        }
        // Foley's common options under the model's own names (Kling's prompt is its sound_effect_prompt).
        body.put(model.hosted("prompt").orElse("prompt"), r.prompt() == null ? DEFAULT_PROMPT : r.prompt());
        if (r.negativePrompt() != null) {
            body.put(model.hosted("negative_prompt").orElse("negative_prompt"), r.negativePrompt());
        }
        number(body, "duration", r.duration());
        number(body, model.hosted("seed").orElse("seed"), r.seed());
        number(body, model.hosted("guidance_scale").orElse("guidance_scale"), r.guidance());
        number(body, model.hosted("num_inference_steps").orElse("num_inference_steps"), r.steps());
        r.params().forEach((name, value) -> {
            JsonNode v;
            try {
                v = Json.parse(value);
                if (v.isContainerNode()) {
                    v = Json.text(value);
                }
            } catch (RuntimeException notJson) {
                v = Json.text(value);
            }
            body.set(name, v);
        });
        if (r.maskAwayClip()) {
            body.put("mask_away_clip", true);
        }
        if (r.originalAudio() != null) {
            body.put("original_audio", r.originalAudio());
        }
        if (r.format() != null) {
            body.put("output_format", r.format());
        }
        number(body, "window_seconds", r.windowSeconds());
        if (!segments.isEmpty()) {
            body.set("segments", segments);
        }
        if (r.noSceneCuts()) {
            body.put("scene_cuts", false);
        }
        number(body, "overlap_seconds", r.overlapSeconds());
        number(body, "loudness_lufs", r.loudness());
        number(body, "true_peak_dbtp", r.truePeak());
        number(body, "num_samples", r.samples());
        HttpClient http = HttpClient.newHttpClient();
        String path = videoUrl == null && model.equals(dev.foley.model.Models.MMAUDIO_V2) ? dev.foley.api.FoleyApi.SUBMIT_TEXT
                : "/api/v3/" + (longModel ? model.longPath().orElse(model.id()) : model.id());
        HttpResponse<String> submitted = http.send(HttpRequest.newBuilder(URI.create(foley.baseUrl() + path))
                .header("Authorization", "Bearer " + foley.apiKey()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(body))).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode env = Json.parse(submitted.body());
        if (submitted.statusCode() != 200) {
            out.println("refused (" + submitted.statusCode() + "): " + env.path("message").asText());
            return 2;
        }
        return follow(http, foley.apiKey(), env.get("data"), r.out(), r.video(), longModel, out);
    }

    /**
     * Follows a submitted prediction ({@code data}: the submit's answer) to its end, showing each
     * change; writes its first output to {@code target} (null: named after {@code video}) and shows
     * its scenes, sound check and takes. 0 when it completed.
     */
    static int follow(HttpClient http, String apiKey, JsonNode data, Path target, String video, boolean longModel, PrintStream out)
            throws IOException, InterruptedException {
        String resultUrl = data.at("/urls/get").asText();
        out.println("prediction " + data.get("id").asText() + " submitted (" + data.get("model").asText() + ")");
        long t0 = System.nanoTime();
        String last = "";
        String lastShown = "";
        long deadline = t0 + Duration.ofMinutes(longModel ? 60 : 10).toNanos();
        while (System.nanoTime() < deadline) {
            data = Json.parse(http.send(HttpRequest.newBuilder(URI.create(resultUrl))
                    .header("Authorization", "Bearer " + apiKey).build(), HttpResponse.BodyHandlers.ofString()).body())
                    .get("data");
            String status = data.get("status").asText();
            JsonNode progress = data.get("progress");
            String shown = status + (progress == null || progress.path("windows_total").asInt() == 0 ? ""
                    : "  windows " + progress.path("windows_done").asInt() + "/" + progress.path("windows_total").asInt());
            if (!shown.equals(lastShown)) {
                out.printf(Locale.ROOT, "  %-10s %5.1f s%s%n", status, (System.nanoTime() - t0) / 1e9,
                        shown.substring(status.length()));
                lastShown = shown;
            }
            last = status;
            if (status.equals("completed") || status.equals("failed") || status.equals("cancelled")) {
                break;
            }
            Thread.sleep(200);
        }
        if (!last.equals("completed")) {
            out.println("the prediction " + last + (data.get("error").asText().isEmpty() ? "" : ": " + data.get("error").asText()));
            return 1;
        }
        String link = data.get("outputs").get(0).asText();
        target = target != null ? target : defaultOut(video, link);
        try (InputStream in = http.send(HttpRequest.newBuilder(URI.create(link)).build(),
                HttpResponse.BodyHandlers.ofInputStream()).body()) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        out.printf(Locale.ROOT, "wrote %s (%d bytes, inference %d ms)%n", target.toAbsolutePath(), Files.size(target),
                data.at("/timings/inference").asLong());
        JsonNode scenes = data.path("scenes");
        if (scenes.size() > 0) {
            out.println("scenes: " + String.join(", ", java.util.stream.StreamSupport.stream(scenes.spliterator(), false)
                    .map(s -> String.format(Locale.ROOT, "%.2f-%.2f s", s.get("start").asDouble(), s.get("end").asDouble())).toList()));
        }
        JsonNode q = data.path("quality").path(0);
        if (!q.isMissingNode()) {
            out.println("sound check: " + Json.write(dev.foley.view.Quality.plain(q)));
        }
        JsonNode takes = data.path("takes");
        for (int i = 0; i < takes.size(); i++) {
            JsonNode t = takes.get(i);
            out.printf(Locale.ROOT, "  take %d (asked %d, seed %s): score %s, sync %s ms, confidence %s%s%n", i + 1,
                    t.path("index").asInt() + 1, t.path("seed").isNull() || t.path("seed").isMissingNode() ? "-" : t.path("seed").asText(), t.path("score").asText(),
                    t.at("/quality/sync/offset_ms").asText("-"), t.at("/quality/sync/confidence").asText("-"),
                    i == 0 ? "  (written)" : "  (outputs[" + i + "])");
        }
        for (JsonNode w : data.path("windows")) { // the long model's takes: the one joined in each window
            out.printf(Locale.ROOT, "  window %d (%s-%s s): take %d joined%n", w.path("index").asInt() + 1, w.path("start").asText(),
                    w.path("end").asText(), w.path("take").asInt() + 1);
            for (JsonNode t : w.path("takes")) {
                out.printf(Locale.ROOT, "    take %d: score %s, sync %s ms, confidence %s%n", t.path("index").asInt() + 1,
                        t.path("score").asText(), t.at("/quality/sync/offset_ms").asText("-"), t.at("/quality/sync/confidence").asText("-"));
            }
        }
        return 0;
    }

    /** A number as typed, else the text itself (so the API names what is wrong with it). */
    private static JsonNode numberOrText(String raw) {
        try {
            JsonNode v = Json.MAPPER.readTree(raw);
            return v != null && v.isNumber() ? v : Json.text(raw);
        } catch (IOException notJson) {
            return Json.text(raw);
        }
    }

    private static void number(ObjectNode body, String field, String raw) {
        if (raw == null) {
            return;
        }
        try {
            body.set(field, Json.MAPPER.readTree(raw).isNumber() ? Json.MAPPER.readTree(raw) : body.textNode(raw));
        } catch (IOException notJson) {
            body.put(field, raw);
        }
    }

    private static boolean isUrl(String v) {
        String l = v.toLowerCase(Locale.ROOT);
        return l.startsWith("http://") || l.startsWith("https://");
    }

    /** Uploads a local clip to a remote provider's storage, showing it; the URL the provider reads it from. */
    private static String uploadTo(dev.foley.provider.InferenceProvider provider, Path file, PrintStream out)
            throws dev.foley.provider.ProviderException, IOException {
        String name = file.getFileName().toString();
        long size = Files.size(file);
        out.printf(Locale.ROOT, "uploading %s (%.1f MB) to %s%n", name, size / 1e6, provider.name());
        long t0 = System.nanoTime();
        String url = provider.upload(new dev.foley.provider.InferenceProvider.Upload(name,
                dev.foley.provider.InputStaging.guessType(name), file),
                dev.foley.time.Deadline.in(java.time.Clock.systemUTC(), Duration.ofMinutes(30)));
        out.printf(Locale.ROOT, "  uploaded in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        return url;
    }

    /** Puts a local file in the local S3 and returns a presigned GET for it. */
    private static String upload(LocalFoley foley, Path file, PrintStream out) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("no such file: " + file);
        }
        var clients = LocalFoley.clients(foley.settings());
        String bucket = foley.settings().outputsBucket();
        String key = "generate/" + UUID.randomUUID() + "/" + file.getFileName();
        var s3 = clients.s3();
        s3.put(bucket, key, Files.readAllBytes(file), "video/mp4");
        out.println("uploaded " + file + " to the local S3");
        return s3.presignGet(bucket, key, Duration.ofHours(1));
    }

    private static Path defaultOut(String video, String link) {
        String file = URI.create(link).getPath();
        String ext = file.lastIndexOf('.') > file.lastIndexOf('/') ? file.substring(file.lastIndexOf('.')) : ".mp4";
        if (video == null) {
            return Path.of("foley-" + System.currentTimeMillis() / 1000 + ext);
        }
        Path named = isUrl(video) ? Path.of(URI.create(video).getPath()).getFileName() : Path.of(video).getFileName();
        String name = named == null ? "clip" : named.toString();
        int dot = name.lastIndexOf('.');
        return Path.of((dot > 0 ? name.substring(0, dot) : name) + ".foley" + ext);
    }
}
