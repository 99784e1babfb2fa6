package dev.foley.provider;

import dev.foley.prediction.ProviderJob;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;
import dev.foley.prediction.PredictionRequest;
import dev.foley.time.Deadline;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Replicate's predictions API for the community MMAudio model ({@code zsxkib/mmaudio}, which
 * loads {@code large_44k_v2}). Its model has no {@code mask_away_clip} and takes
 * {@code cfg_strength} from 1: such requests are refused with a clear reason rather than silently
 * changed. Pushes are Standard Webhooks, checked by the {@code com.standardwebhooks} library.
 */
public final class ReplicateProvider implements InferenceProvider {

    public static final String NAME = "replicate";
    public static final URI DEFAULT_BASE = URI.create("https://api.replicate.com");
    public static final String DEFAULT_MODEL = dev.foley.model.Models.MMAUDIO_V2.providers().get(NAME);

    private final URI base;
    private final String token;
    private final String model;
    private final Optional<String> version;
    private final ProviderHttp http;
    private final ProviderHttp.Policies policies;
    private final FetchedSecret webhookSecret;

    public ReplicateProvider(URI base, String token, String model, Optional<String> version, Optional<String> webhookSecret,
            ProviderHttp http, ProviderHttp.Policies policies) {
        this.base = base;
        this.token = token;
        this.model = model;
        this.version = version;
        this.http = http;
        this.policies = policies;
        this.webhookSecret = new FetchedSecret(NAME, webhookSecret, () -> ProviderHttp.json(NAME,
                http.call(NAME, () -> authed("/v1/webhooks/default/secret").GET(), true, policies.read()), false)
                .path("key").asText(null));
    }

    @Override
    public String name() {
        return NAME;
    }

    static ObjectNode input(PredictionRequest r) throws ProviderException {
        if (r.maskAwayClip()) {
            throw ProviderException.rejected("mask_away_clip is not supported by the replicate provider's model");
        }
        if (r.guidanceScale() < 1) {
            throw ProviderException.rejected("the replicate provider's model needs guidance_scale of at least 1, got "
                    + r.guidanceScale());
        }
        ObjectNode in = Json.object();
        if (r.video() != null) {
            in.put("video", r.video());
        }
        in.put("prompt", r.prompt());
        in.put("negative_prompt", r.negativePrompt()); // explicit, even empty: the model's default is "music"
        in.put("duration", r.duration());
        in.put("num_steps", r.numInferenceSteps());
        in.put("cfg_strength", r.guidanceScale());
        in.put("seed", r.seed() == null ? -1 : r.seed()); // -1: random
        return in;
    }

    @Override
    public ProviderJob submit(PredictionRequest request, Optional<URI> callback, Deadline until) throws ProviderException {
        ObjectNode body = Json.object();
        version.ifPresent(v -> body.put("version", v));
        body.set("input", input(request));
        callback.ifPresent(c -> {
            body.put("webhook", c.toString());
            body.putArray("webhook_events_filter").add("completed");
        });
        // With a pinned version: POST /v1/predictions; without: the model's latest version.
        String path = version.isPresent() ? "/v1/predictions" : "/v1/models/" + model + "/predictions";
        byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
        var r = http.call(NAME, () -> authed(path).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)), false, policies.submit(), until);
        JsonNode n = ProviderHttp.json(NAME, r, true);
        String id = n.path("id").asText("");
        if (id.isEmpty()) {
            throw new ProviderException(ProviderException.Kind.RETRYABLE, NAME + " created a prediction but sent no id",
                    r.status(), Optional.empty(), true, List.of());
        }
        return ProviderJob.of(NAME, id);
    }

    @Override
    public JobStatus check(ProviderJob job, Deadline until) throws ProviderException {
        var r = http.call(NAME, () -> authed("/v1/predictions/" + job.id()).GET(), true, policies.read(), until);
        return status(ProviderHttp.json(NAME, r, false));
    }

    static JobStatus status(JsonNode p) throws ProviderException {
        String status = p.path("status").asText("");
        switch (status) {
            case "starting", "processing":
                return new JobStatus.Running(-1);
            case "succeeded": {
                List<String> outputs = new ArrayList<>();
                JsonNode out = p.path("output");
                if (out.isTextual()) {
                    outputs.add(out.asText());
                } else if (out.isArray()) {
                    out.forEach(o -> outputs.add(o.asText()));
                }
                if (outputs.isEmpty()) {
                    return new JobStatus.Failed("the inference provider finished the job without an output");
                }
                long ms = Math.round(p.at("/metrics/predict_time").asDouble(0) * 1000);
                return new JobStatus.Done(outputs, ms, List.of(false));
            }
            case "failed": {
                String err = p.path("error").isTextual() ? p.path("error").asText() : Json.write(p.path("error"));
                return new JobStatus.Failed(ProviderErrors.jobFailed(err), "replicate failed: " + err);
            }
            case "canceled", "aborted":
                return new JobStatus.Failed("the inference provider's job ended: " + status);
            default:
                throw ProviderException.retryable(NAME + " sent an unknown status '" + status + "'");
        }
    }

    /** {@code POST /v1/predictions/{id}/cancel}: answers the prediction, {@code canceled} or already ended. */
    @Override
    public CancelOutcome cancel(ProviderJob job, Deadline until) throws ProviderException {
        try {
            var r = http.call(NAME, () -> authed("/v1/predictions/" + job.id() + "/cancel")
                    .POST(HttpRequest.BodyPublishers.noBody()), true, policies.cancel(), until);
            String status;
            try {
                status = Json.MAPPER.readTree(r.body()).path("status").asText("");
            } catch (Exception notJson) {
                status = "";
            }
            return status.equals("succeeded") || status.equals("failed") ? CancelOutcome.ALREADY_ENDED : CancelOutcome.CANCELLED;
        } catch (ProviderException e) {
            if (e.kind() == ProviderException.Kind.NOT_FOUND) {
                return CancelOutcome.NOT_FOUND;
            }
            throw e;
        }
    }

    @Override
    public JobUpdate verifyCallback(Map<String, String> headers, byte[] body) throws InvalidCallbackException {
        WebhookSignatures.standardVerify(webhookSecret.get(), headers, body);
        JsonNode p;
        try {
            p = Json.MAPPER.readTree(body);
        } catch (Exception e) {
            throw new InvalidCallbackException("webhook body is not JSON");
        }
        if (p == null || !p.hasNonNull("id")) {
            throw new InvalidCallbackException("webhook body has no id");
        }
        try {
            return new JobUpdate(p.get("id").asText(), status(p), p.get("input"));
        } catch (ProviderException e) {
            throw new InvalidCallbackException(e.getMessage());
        }
    }

    @Override
    public Optional<URI> base() {
        return Optional.of(base);
    }

    /**
     * As the {@code replicate} client's {@code files.create}: {@code POST /v1/files}, multipart with
     * the file as {@code content} and {@code metadata} (JSON); the answer's {@code urls.get} is the input.
     */
    @Override
    public String upload(Upload f, Deadline until) throws ProviderException {
        Uploads.Form form = Uploads.form("content", f,
                Map.of("metadata", Map.entry("application/json", "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8))));
        try {
            var r = http.call(NAME, () -> authed("/v1/files").header("content-type", form.contentType()).POST(form.body()), true,
                    Uploads.policyFor(f.size()), until);
            String url = ProviderHttp.json(NAME, r, false).at("/urls/get").asText("");
            if (url.isEmpty()) {
                throw Uploads.malformed(NAME, "urls.get");
            }
            return url;
        } catch (ProviderException e) {
            throw Uploads.refused(NAME, f, e);
        }
    }

    private HttpRequest.Builder authed(String path) {
        return HttpRequest.newBuilder(ProviderHttp.join(base, path)).header("authorization", "Bearer " + token)
                .header("accept", "application/json");
    }
}
