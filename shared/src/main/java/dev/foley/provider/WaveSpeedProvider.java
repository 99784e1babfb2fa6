package dev.foley.provider;

import dev.foley.prediction.ProviderJob;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;
import dev.foley.prediction.PredictionRequest;
import dev.foley.time.Deadline;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * WaveSpeed, the hosted MMAudio v2 API whose contract Foley serves: the request goes through
 * unchanged but for our extensions it lacks ({@code seed}, {@code enable_sync_mode}). A failed
 * task is HTTP 200 with {@code data.status: "failed"}: 200 is not success here.
 */
public final class WaveSpeedProvider implements InferenceProvider {

    public static final String NAME = "wavespeed";
    public static final URI DEFAULT_BASE = URI.create("https://api.wavespeed.ai");

    private final URI base;
    private final String apiKey;
    private final ProviderHttp http;
    private final ProviderHttp.Policies policies;
    private final Clock clock;
    private final FetchedSecret webhookSecret;

    public WaveSpeedProvider(URI base, String apiKey, Optional<String> webhookSecret, ProviderHttp http,
            ProviderHttp.Policies policies, Clock clock) {
        this.base = base;
        this.apiKey = apiKey;
        this.http = http;
        this.policies = policies;
        this.clock = clock;
        this.webhookSecret = new FetchedSecret(NAME, webhookSecret, () -> {
            var r = http.call(NAME, () -> authed("/api/v3/webhook/secret").GET(), true, policies.read());
            JsonNode d = ProviderHttp.json(NAME, r, false).path("data");
            return d.isTextual() ? d.asText() : d.path("secret").asText(null);
        });
    }

    @Override
    public boolean takesSeed(dev.foley.model.Model m) {
        // MMAudio's hosted contract has no seed (Foley's is not sent); the other models' pages list one
        return !m.equals(dev.foley.model.Models.MMAUDIO_V2) && !m.equals(dev.foley.model.Models.MMAUDIO_V2_TEXT) && m.takes("seed");
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The body WaveSpeed receives: the hosted fields, nothing else. */
    static ObjectNode body(PredictionRequest r) {
        if (!InferenceProvider.isMmaudio(r)) {
            return InferenceProvider.modelBody(r, NAME); // the hosted names are WaveSpeed's own
        }
        ObjectNode b = Json.object();
        if (r.video() != null) {
            b.put("video", r.video());
        }
        b.put("prompt", r.prompt());
        b.put("negative_prompt", r.negativePrompt());
        b.put("num_inference_steps", r.numInferenceSteps());
        b.put("duration", r.duration());
        b.put("guidance_scale", r.guidanceScale());
        b.put("mask_away_clip", r.maskAwayClip());
        return b;
    }

    @Override
    public ProviderJob submit(PredictionRequest request, Optional<URI> callback, Deadline until) throws ProviderException {
        String path = "/api/v3/" + request.spec().providers().get(NAME) // the model's path here, from the registry
                + callback.map(c -> "?webhook=" + URLEncoder.encode(c.toString(), StandardCharsets.UTF_8)).orElse("");
        byte[] body = Json.write(body(request)).getBytes(StandardCharsets.UTF_8);
        var r = http.call(NAME, () -> authed(path).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)), false, policies.submit(), until);
        JsonNode env = ProviderHttp.json(NAME, r, true);
        checkEnvelope(env, true);
        String id = env.at("/data/id").asText("");
        if (id.isEmpty()) {
            throw new ProviderException(ProviderException.Kind.RETRYABLE, NAME + " accepted the task but sent no id",
                    r.status(), Optional.empty(), true, List.of());
        }
        return ProviderJob.of(NAME, id);
    }

    @Override
    public Optional<URI> base() {
        return Optional.of(base);
    }

    /**
     * As the {@code wavespeed} clients upload: a ticket ({@code POST /api/v3/media/uploads
     * {filename, size, content_type}}), the bytes PUT to {@code upload.url} with
     * {@code upload.headers}, then {@code download_url} is the input. Where the ticket route is
     * missing (404), the older multipart {@code POST /api/v3/media/upload/binary}.
     */
    @Override
    public String upload(Upload f, Deadline until) throws ProviderException {
        ObjectNode ticket = Json.object().put("filename", f.filename()).put("size", f.size()).put("content_type", f.contentType());
        byte[] body = Json.write(ticket).getBytes(StandardCharsets.UTF_8);
        JsonNode data;
        try {
            var r = http.call(NAME, () -> authed("/api/v3/media/uploads").header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)), true, policies.submit(), until);
            JsonNode env = ProviderHttp.json(NAME, r, false);
            checkEnvelope(env, false);
            data = env.get("data");
        } catch (ProviderException e) {
            if (e.kind() == ProviderException.Kind.NOT_FOUND) {
                return binaryUpload(f, until);
            }
            throw Uploads.refused(NAME, f, e);
        }
        String download = data.path("download_url").asText("");
        JsonNode up = data.path("upload");
        if (download.isEmpty()) {
            throw Uploads.malformed(NAME, "download_url");
        }
        if (!"PUT".equalsIgnoreCase(up.path("method").asText("")) || up.path("url").asText("").isEmpty()) {
            throw Uploads.malformed(NAME, "PUT instruction (upload.method, upload.url)");
        }
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        up.path("headers").fields().forEachRemaining(h -> headers.put(h.getKey(), h.getValue().asText()));
        try {
            Uploads.put(http, NAME, URI.create(up.get("url").asText()), headers, f, until);
        } catch (ProviderException e) {
            throw Uploads.refused(NAME, f, e);
        }
        return download;
    }

    private String binaryUpload(Upload f, Deadline until) throws ProviderException {
        Uploads.Form form = Uploads.form("file", f, Map.of());
        try {
            var r = http.call(NAME, () -> authed("/api/v3/media/upload/binary").header("content-type", form.contentType())
                    .POST(form.body()), true, Uploads.policyFor(f.size()), until);
            JsonNode env = ProviderHttp.json(NAME, r, false);
            checkEnvelope(env, false);
            String download = env.at("/data/download_url").asText("");
            if (download.isEmpty()) {
                throw Uploads.malformed(NAME, "data.download_url");
            }
            return download;
        } catch (ProviderException e) {
            throw Uploads.refused(NAME, f, e);
        }
    }

    @Override
    public JobStatus check(ProviderJob job, Deadline until) throws ProviderException {
        var r = http.call(NAME, () -> authed("/api/v3/predictions/" + job.id() + "/result").GET(), true, policies.read(), until);
        JsonNode env = ProviderHttp.json(NAME, r, false);
        checkEnvelope(env, false);
        return status(env.get("data"));
    }

    /**
     * WaveSpeed's "cancel or delete" call ({@code DELETE /api/v3/predictions/{id}}, answering
     * {@code status: "deleted"}). Its docs say a task already processing may not stop at once (and
     * may be partly refunded), so the outcome says so.
     */
    @Override
    public CancelOutcome cancel(ProviderJob job, Deadline until) throws ProviderException {
        try {
            var r = http.call(NAME, () -> authed("/api/v3/predictions/" + job.id()).DELETE(), true, policies.cancel(), until);
            JsonNode env = ProviderHttp.json(NAME, r, false);
            checkEnvelope(env, false);
            return CancelOutcome.DELETED;
        } catch (ProviderException e) {
            if (e.kind() == ProviderException.Kind.NOT_FOUND || e.httpStatus() == 404) {
                return CancelOutcome.NOT_FOUND;
            }
            throw e;
        }
    }

    @Override
    public JobUpdate verifyCallback(Map<String, String> headers, byte[] body) throws InvalidCallbackException {
        WebhookSignatures.wavespeedVerify(webhookSecret.get(), headers, body, clock);
        JsonNode data;
        try {
            data = Json.MAPPER.readTree(body);
        } catch (Exception e) {
            throw new InvalidCallbackException("webhook body is not JSON");
        }
        if (data == null || !data.hasNonNull("id")) {
            throw new InvalidCallbackException("webhook body has no id");
        }
        return new JobUpdate(data.get("id").asText(), status(data), data.get("input"));
    }

    static JobStatus status(JsonNode data) {
        String status = data.path("status").asText("");
        return switch (status) {
            case "completed" -> {
                List<String> outputs = new ArrayList<>();
                data.path("outputs").forEach(o -> outputs.add(o.asText()));
                List<Boolean> nsfw = new ArrayList<>();
                data.path("has_nsfw_contents").forEach(o -> nsfw.add(o.asBoolean()));
                if (outputs.isEmpty()) {
                    yield new JobStatus.Failed("the inference provider finished the job without an output");
                }
                yield new JobStatus.Done(outputs, data.at("/timings/inference").asLong(0), nsfw);
            }
            case "failed", "cancelled", "timeout", "deleted" -> {
                String err = data.path("error").asText("");
                yield err.isBlank() ? new JobStatus.Failed("the inference provider's job ended: " + status)
                        : new JobStatus.Failed(ProviderErrors.jobFailed(err), err);
            }
            default -> new JobStatus.Running(-1);
        };
    }

    private void checkEnvelope(JsonNode env, boolean submit) throws ProviderException {
        int code = env.path("code").asInt(200);
        if (!env.isObject() || !env.path("data").isObject()) {
            if (code != 200) {
                throw classify(code, env.path("message").asText(""), submit);
            }
            throw new ProviderException(ProviderException.Kind.RETRYABLE, NAME + " answered without data",
                    200, Optional.empty(), submit, List.of());
        }
        if (code != 200) {
            throw classify(code, env.path("message").asText(""), submit);
        }
    }

    private static ProviderException classify(int code, String message, boolean submit) {
        ProviderException.Kind kind = code == 401 || code == 403 ? ProviderException.Kind.CONFIGURATION
                : code == 404 && !submit ? ProviderException.Kind.NOT_FOUND
                : code == 429 || code >= 500 ? ProviderException.Kind.RETRYABLE : ProviderException.Kind.REJECTED;
        return new ProviderException(kind, NAME + " said " + code + ": " + message, code, Optional.empty(), false, List.of(),
                kind == ProviderException.Kind.REJECTED ? ProviderErrors.rejected(code, message) : null);
    }

    private HttpRequest.Builder authed(String path) {
        return HttpRequest.newBuilder(ProviderHttp.join(base, path)).header("authorization", "Bearer " + apiKey)
                .header("accept", "application/json");
    }
}
