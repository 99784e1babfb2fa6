package dev.foley.provider;

import dev.foley.prediction.ProviderJob;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;
import dev.foley.prediction.Kind;
import dev.foley.prediction.PredictionRequest;
import dev.foley.time.Deadline;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * fal.ai's queue API for {@code fal-ai/mmaudio-v2} (and its text-to-audio endpoint). Our fields map
 * to theirs ({@code num_inference_steps → num_steps}, {@code guidance_scale → cfg_strength},
 * {@code video → video_url}). fal has no failed status: a failed job is {@code COMPLETED} and its
 * result GET answers non-2xx. Pushes are signed with Ed25519, checked against fal's JWKS.
 */
public final class FalProvider implements InferenceProvider {

    public static final String NAME = "fal";
    public static final URI DEFAULT_BASE = URI.create("https://queue.fal.run");
    /** fal's REST host, where its storage lives (the queue host runs jobs). */
    public static final URI DEFAULT_REST = URI.create("https://rest.fal.ai");
    public static final URI DEFAULT_JWKS = URI.create("https://rest.alpha.fal.ai/.well-known/jwks.json");
    static final String APP = "/fal-ai/mmaudio-v2";
    private static final Duration JWKS_TTL = Duration.ofHours(12);

    private final URI base;
    private final URI rest;
    private final String key;
    private final URI jwksUrl;
    private final ProviderHttp http;
    private final ProviderHttp.Policies policies;
    private final Clock clock;
    private volatile List<PublicKey> jwks = List.of();
    private volatile Instant jwksFetched = Instant.EPOCH;

    public FalProvider(URI base, String key, URI jwksUrl, ProviderHttp http, ProviderHttp.Policies policies, Clock clock) {
        this(base, DEFAULT_REST, key, jwksUrl, http, policies, clock);
    }

    public FalProvider(URI base, URI rest, String key, URI jwksUrl, ProviderHttp http, ProviderHttp.Policies policies, Clock clock) {
        this.base = base;
        this.rest = rest;
        this.key = key;
        this.jwksUrl = jwksUrl;
        this.http = http;
        this.policies = policies;
        this.clock = clock;
    }

    @Override
    public String name() {
        return NAME;
    }

    static ObjectNode body(PredictionRequest r) {
        if (!InferenceProvider.isMmaudio(r)) {
            return InferenceProvider.modelBody(r, NAME); // the model's fields under fal's names (the registry's mapping)
        }
        ObjectNode b = Json.object();
        if (r.kind() == Kind.VIDEO) {
            b.put("video_url", r.video());
        }
        b.put("prompt", r.prompt());
        b.put("negative_prompt", r.negativePrompt());
        if (r.seed() != null) {
            b.put("seed", r.seed().intValue());
        }
        b.put("num_steps", r.numInferenceSteps());
        b.put("duration", (double) r.duration());
        b.put("cfg_strength", r.guidanceScale());
        b.put("mask_away_clip", r.maskAwayClip());
        return b;
    }

    @Override
    public ProviderJob submit(PredictionRequest request, Optional<URI> callback, Deadline until) throws ProviderException {
        String app = request.spec().providers().get(NAME);
        String path = "/" + app // the model's app here, from the registry
                + callback.map(c -> "?fal_webhook=" + URLEncoder.encode(c.toString(), StandardCharsets.UTF_8)).orElse("");
        byte[] body = Json.write(body(request)).getBytes(StandardCharsets.UTF_8);
        var r = http.call(NAME, () -> authed(ProviderHttp.join(base, path)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)), false, policies.submit(), until);
        JsonNode n = ProviderHttp.json(NAME, r, true);
        String id = n.path("request_id").asText("");
        if (id.isEmpty()) {
            throw new ProviderException(ProviderException.Kind.RETRYABLE, NAME + " queued the job but sent no request_id",
                    r.status(), Optional.empty(), true, List.of());
        }
        // Use the URLs fal hands back (they drop the /text-to-audio subpath), but only on fal's own
        // host: our key goes with every request to them.
        String root = ProviderHttp.join(base, appRoot(app) + "/requests/" + id).toString();
        return new ProviderJob(NAME, id, Map.of(
                "status", sameHost(n.path("status_url").asText(null), root + "/status"),
                "response", sameHost(n.path("response_url").asText(null), root),
                "cancel", sameHost(n.path("cancel_url").asText(null), root + "/cancel")));
    }

    @Override
    public JobStatus check(ProviderJob job, Deadline until) throws ProviderException {
        URI statusUrl = URI.create(urlOf(job, "status", "/status"));
        var s = http.call(NAME, () -> authed(statusUrl).GET(), true, policies.read(), until);
        JsonNode st = ProviderHttp.json(NAME, s, false);
        String status = st.path("status").asText("");
        if (!status.equals("COMPLETED")) {
            if (status.equals("IN_QUEUE") || status.equals("IN_PROGRESS")) {
                return new JobStatus.Running(st.path("queue_position").asInt(-1));
            }
            throw ProviderException.retryable(NAME + " sent an unknown status '" + clip(status) + "'");
        }
        long inferenceMs = Math.round(st.at("/metrics/inference_time").asDouble(0) * 1000);
        return result(job, inferenceMs, until);
    }

    /** The result GET: 2xx is the output; a non-2xx with fal's error type is the job's failure. */
    private JobStatus result(ProviderJob job, long inferenceMs, Deadline until) throws ProviderException {
        URI uri = URI.create(urlOf(job, "response", ""));
        // Retry only what is not the job's own answer: a 5xx without fal's error type is a gateway hiccup.
        HttpResponse<byte[]> r = http.getRaw(NAME, () -> authed(uri), policies.read(), until,
                x -> x.statusCode() < 500 || isJobError(x));
        int code = r.statusCode();
        if (code >= 200 && code < 300) {
            JsonNode n = ProviderHttp.json(NAME, new ProviderHttp.Response(code, r.headers(), r.body()), false);
            return output(n, inferenceMs);
        }
        if (code != 422 && !isJobError(r)) {
            if (code == 401 || code == 403) {
                throw new ProviderException(ProviderException.Kind.CONFIGURATION, NAME + " refused our credentials (" + code + ")",
                        code, Optional.empty(), false, List.of());
            }
            throw new ProviderException(ProviderException.Kind.RETRYABLE, NAME + " result answered " + code, code,
                    ProviderHttp.retryAfter(r.headers()), false, List.of());
        }
        String type = r.headers().firstValue("x-fal-error-type").orElse("");
        String text = ProviderHttp.errorText(r.body());
        String raw = "fal " + code + (type.isEmpty() ? "" : " " + type) + ": " + text;
        return new JobStatus.Failed(code == 422 ? ProviderErrors.rejected(code, text)
                : ProviderErrors.jobFailed((type.isEmpty() ? "" : type + ": ") + text), raw);
    }

    private static boolean isJobError(HttpResponse<byte[]> r) {
        return r.headers().firstValue("x-fal-error-type").isPresent() || hasErrorType(r.body());
    }

    private static boolean hasErrorType(byte[] body) {
        try {
            JsonNode n = Json.MAPPER.readTree(body);
            return n != null && n.hasNonNull("error_type");
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * The outputs of a fal result: its {@code video} (the clip with its sound) or else its
     * {@code audio}; a model that makes several samples answers a list of files
     * ({@code audios}, {@code videos} or {@code outputs}), each kept.
     */
    static JobStatus output(JsonNode n, long inferenceMs) {
        String url = n.at("/video/url").asText(null);
        if (url == null) {
            url = n.at("/audio/url").asText(null);
        }
        List<String> urls = new java.util.ArrayList<>();
        if (url != null && !url.isBlank()) {
            urls.add(url);
        } else {
            for (String list : List.of("videos", "audios", "outputs", "audio", "video")) {
                n.path(list).forEach(f -> {
                    String u = f.isTextual() ? f.asText() : f.path("url").asText("");
                    if (!u.isBlank()) {
                        urls.add(u);
                    }
                });
                if (!urls.isEmpty()) {
                    break;
                }
            }
        }
        if (urls.isEmpty()) {
            return new JobStatus.Failed("the inference provider finished the job without an output");
        }
        return new JobStatus.Done(urls, inferenceMs, urls.stream().map(u -> false).toList());
    }

    /** A fal app's queue root: its owner and first name ({@code fal-ai/kling-video} for {@code fal-ai/kling-video/video-to-audio}). */
    static String appRoot(String app) {
        String[] parts = app.split("/");
        return "/" + parts[0] + (parts.length > 1 ? "/" + parts[1] : "");
    }

    /** {@code PUT .../requests/{id}/cancel}: {@code OK} or {@code CANCELLATION_REQUESTED}, {@code ALREADY_COMPLETED}, {@code NOT_FOUND}. */
    @Override
    public CancelOutcome cancel(ProviderJob job, Deadline until) throws ProviderException {
        String url = urlOf(job, "cancel", "/cancel");
        try {
            var r = http.call(NAME, () -> authed(URI.create(url)).PUT(HttpRequest.BodyPublishers.noBody()), true,
                    policies.cancel(), until);
            String status;
            try {
                status = Json.MAPPER.readTree(r.body()).path("status").asText("");
            } catch (Exception notJson) {
                status = "";
            }
            return switch (status) {
                case "ALREADY_COMPLETED" -> CancelOutcome.ALREADY_ENDED;
                case "NOT_FOUND" -> CancelOutcome.NOT_FOUND;
                default -> CancelOutcome.CANCELLED;
            };
        } catch (ProviderException e) {
            if (e.kind() == ProviderException.Kind.NOT_FOUND) {
                return CancelOutcome.NOT_FOUND;
            }
            if (e.httpStatus() == 400 || e.httpStatus() == 409) {
                return CancelOutcome.ALREADY_ENDED; // fal answers 400 for a request that already finished
            }
            throw e;
        }
    }

    @Override
    public JobUpdate verifyCallback(Map<String, String> headers, byte[] body) throws InvalidCallbackException {
        String requestId = WebhookSignatures.required(headers, "x-fal-webhook-request-id");
        String userId = WebhookSignatures.required(headers, "x-fal-webhook-user-id");
        String ts = WebhookSignatures.required(headers, "x-fal-webhook-timestamp");
        WebhookSignatures.timestamp(ts, clock);
        byte[] sig;
        try {
            sig = HexFormat.of().parseHex(WebhookSignatures.required(headers, "x-fal-webhook-signature").strip());
        } catch (IllegalArgumentException e) {
            throw new InvalidCallbackException("webhook signature is not hex");
        }
        byte[] message = WebhookSignatures.falMessage(requestId, userId, ts, body);
        if (!verifiedByAnyKey(message, sig, false) && !verifiedByAnyKey(message, sig, true)) {
            throw new InvalidCallbackException("webhook signature does not match any fal key");
        }
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(body);
        } catch (Exception e) {
            throw new InvalidCallbackException("webhook body is not JSON");
        }
        if (n == null || !requestId.equals(n.path("request_id").asText())) {
            throw new InvalidCallbackException("webhook body is for another request than its signature");
        }
        if ("OK".equals(n.path("status").asText())) {
            return new JobUpdate(requestId, output(n.path("payload"), 0));
        }
        String err = n.path("error").asText("");
        String detail = n.hasNonNull("payload") ? ProviderHttp.errorText(Json.write(n.get("payload")).getBytes(StandardCharsets.UTF_8)) : "";
        String raw = (err.isBlank() ? detail : err) + (!err.isBlank() && !detail.isBlank() && !detail.equals("{}") ? " (" + detail + ")" : "");
        return new JobUpdate(requestId, new JobStatus.Failed(ProviderErrors.jobFailed(raw), raw));
    }

    /** Tries the cached JWKS; with {@code refresh}, fetches it again first (keys rotate). */
    private boolean verifiedByAnyKey(byte[] message, byte[] sig, boolean refresh) throws InvalidCallbackException {
        List<PublicKey> keys = jwks;
        if (refresh || keys.isEmpty() || clock.instant().isAfter(jwksFetched.plus(JWKS_TTL))) {
            keys = fetchJwks();
        }
        for (PublicKey k : keys) {
            if (WebhookSignatures.ed25519Verify(k, message, sig)) {
                return true;
            }
        }
        return false;
    }

    private synchronized List<PublicKey> fetchJwks() throws InvalidCallbackException {
        try {
            var r = http.call(NAME, () -> HttpRequest.newBuilder(jwksUrl).GET(), true, policies.read());
            JsonNode n = ProviderHttp.json(NAME, r, false);
            List<PublicKey> keys = new ArrayList<>();
            for (JsonNode k : n.path("keys")) {
                if ("OKP".equals(k.path("kty").asText("OKP")) && k.hasNonNull("x")) {
                    try {
                        keys.add(WebhookSignatures.ed25519(Base64.getUrlDecoder().decode(k.get("x").asText())));
                    } catch (Exception badKey) {
                        // skip keys we cannot read
                    }
                }
            }
            jwks = List.copyOf(keys);
            jwksFetched = clock.instant();
            return jwks;
        } catch (ProviderException e) {
            throw new InvalidCallbackException("cannot fetch fal's JWKS: " + e.getMessage());
        }
    }

    /** A URL fal gave for the job, or its documented path (a job known from a callback came without them). */
    private String urlOf(ProviderJob job, String name, String suffix) {
        String given = job.url(name);
        return given != null ? given : ProviderHttp.join(base, APP + "/requests/" + job.id() + suffix).toString();
    }

    private String sameHost(String given, String fallback) {
        if (given == null || given.isBlank()) {
            return fallback;
        }
        try {
            URI u = URI.create(given);
            if (base.getHost() != null && base.getHost().equalsIgnoreCase(u.getHost()) && base.getPort() == u.getPort()
                    && base.getScheme().equalsIgnoreCase(u.getScheme())) {
                return given;
            }
        } catch (IllegalArgumentException bad) {
            // fall back
        }
        return fallback;
    }

    @Override
    public Optional<URI> base() {
        return Optional.of(base);
    }

    /** Where uploads go. */
    URI restBase() {
        return rest;
    }

    /**
     * As {@code @fal-ai/client}'s {@code storage.upload}: {@code POST
     * <rest>/storage/upload/initiate?storage_type=fal-cdn-v3 {content_type, file_name}} answers
     * {@code {upload_url, file_url}}; the bytes are PUT to {@code upload_url} with their type, and
     * {@code file_url} is the input. (The client switches to a multipart upload above 90 MB; one
     * signed PUT is used here for any size.)
     */
    @Override
    public String upload(Upload f, Deadline until) throws ProviderException {
        byte[] body = Json.write(Json.object().put("content_type", f.contentType()).put("file_name", f.filename()))
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try {
            var r = http.call(NAME, () -> authed(ProviderHttp.join(rest, "/storage/upload/initiate?storage_type=fal-cdn-v3"))
                    .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)), true,
                    policies.submit(), until);
            JsonNode n = ProviderHttp.json(NAME, r, false);
            String uploadUrl = n.path("upload_url").asText("");
            String fileUrl = n.path("file_url").asText("");
            if (uploadUrl.isEmpty() || fileUrl.isEmpty()) {
                throw Uploads.malformed(NAME, "upload_url and file_url");
            }
            Uploads.put(http, NAME, URI.create(uploadUrl), Map.of("content-type", f.contentType()), f, until);
            return fileUrl;
        } catch (ProviderException e) {
            throw Uploads.refused(NAME, f, e);
        }
    }

    private HttpRequest.Builder authed(URI uri) {
        return HttpRequest.newBuilder(uri).header("authorization", "Key " + key).header("accept", "application/json");
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) : s;
    }
}
