package dev.foley.provider.emulator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;
import dev.foley.provider.WebhookSignatures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

/** WaveSpeed's v3 API as documented (providers.md): envelope answers, failed tasks as HTTP 200. */
public final class WaveSpeedEmulator extends ProviderEmulator {

    public static final String SECRET = "whsec_emulatorSecretText0123456789";

    public WaveSpeedEmulator(String key) throws IOException {
        super(key);
    }

    @Override
    protected Op classify(String method, String path) {
        if (method.equals("POST") && path.startsWith("/api/v3/") && !path.startsWith("/api/v3/predictions")
                && !path.startsWith("/api/v3/media/") && !path.startsWith("/api/v3/webhook")) {
            return Op.SUBMIT; // any model path: wavespeed-ai/..., kwaivgi/..., mirelo-ai/...
        }
        if (method.equals("GET") && path.matches("/api/v3/predictions/[^/]+/result")) {
            return Op.STATUS;
        }
        if (path.equals("/api/v3/webhook/secret")) {
            return Op.SECRET;
        }
        if (method.equals("DELETE") && path.matches("/api/v3/predictions/[^/]+")) {
            return Op.CANCEL;
        }
        if (method.equals("POST") && (path.equals("/api/v3/media/uploads") || path.equals("/api/v3/media/upload/binary"))) {
            return Op.UPLOAD;
        }
        return Op.OTHER;
    }

    @Override
    protected Fault.Answer answer(Op op, String method, String path, Map<String, String> query, byte[] body,
            Map<String, String> headers) {
        if (!authorized(headers, "Bearer")) {
            return Fault.status(401, "{\"code\":401,\"message\":\"Unauthorized\",\"data\":null}");
        }
        return switch (op) {
            case UPLOAD -> path.endsWith("/binary") ? binary(headers, body) : ticket(body);
            case SUBMIT -> {
                if (unreachable(Json.parse(new String(body, StandardCharsets.UTF_8)).path("video").asText(null))) {
                    yield Fault.status(400, "{\"code\":400,\"message\":\"failed to download the video: the URL is not reachable\",\"data\":null}");
                }
                String model = path.substring("/api/v3/".length());
                String id = newJob(Json.parse(new String(body, StandardCharsets.UTF_8)), model);
                String hook = query.get("webhook");
                Job j = job(id);
                if (hook != null && j.script.runsFor() != null) {
                    // As WaveSpeed does with ?webhook=: push the signed result when the job completes.
                    String target = java.net.URLDecoder.decode(hook, StandardCharsets.UTF_8);
                    pushes.schedule(() -> push(id, target), j.script.runsFor().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                }
                yield ok(data(j, "created"));
            }
            case STATUS -> {
                String id = path.split("/")[4];
                Job j = job(id);
                if (j == null) {
                    yield Fault.status(404, "{\"code\":404,\"message\":\"prediction not found\",\"data\":null}");
                }
                String state = j.advance();
                if (!state.equals("running")) {
                    reportedEnd(id);
                }
                yield ok(data(j, switch (state) {
                    case "done" -> "completed";
                    case "failed" -> "failed";
                    case "cancelled" -> "cancelled";
                    default -> "processing";
                }));
            }
            case SECRET -> ok(Json.object().put("secret", SECRET));
            case CANCEL -> {
                // "Cancel or delete": DELETE /api/v3/predictions/{id} answers status "deleted".
                Job j = job(path.split("/")[4]);
                if (j == null) {
                    yield Fault.status(404, "{\"code\":404,\"message\":\"Task not found\",\"data\":null}");
                }
                j.cancelled = true;
                reportedEnd(j.id);
                yield ok(Json.object().put("id", j.id).put("status", "deleted"));
            }
            default -> Fault.status(404, "{\"code\":404,\"message\":\"not found\",\"data\":null}");
        };
    }

    private volatile boolean ticketsMissing;

    /** The ticket route answers 404 (an API without it): clients fall back to the binary upload. */
    public WaveSpeedEmulator ticketsMissing(boolean v) {
        ticketsMissing = v;
        return this;
    }

    /** {@code POST /api/v3/media/uploads {filename, size, content_type}}: exactly those fields, as the SDKs send them. */
    private Fault.Answer ticket(byte[] body) {
        if (ticketsMissing) {
            return Fault.status(404, "{\"code\":404,\"message\":\"not found\",\"data\":null}");
        }
        com.fasterxml.jackson.databind.JsonNode t = Json.parse(new String(body, StandardCharsets.UTF_8));
        java.util.Set<String> names = new java.util.HashSet<>();
        t.fieldNames().forEachRemaining(names::add);
        names.removeAll(java.util.Set.of("filename", "size", "content_type"));
        if (!t.path("filename").isTextual() || t.get("filename").asText().isEmpty() || !t.path("size").canConvertToLong()
                || !t.path("size").isIntegralNumber() || t.get("size").asLong() <= 0 || !names.isEmpty()
                || t.has("content_type") && !t.get("content_type").isTextual()) {
            return Fault.status(400, "{\"code\":400,\"message\":\"invalid upload request\",\"data\":null}");
        }
        String type = t.path("content_type").asText("application/octet-stream");
        String[] slot = uploadSlot(t.get("filename").asText(), type, t.get("size").asLong(), false);
        ObjectNode d = Json.object();
        ObjectNode up = d.putObject("upload");
        up.put("method", "PUT").put("url", slot[0]);
        up.putObject("headers").put("Content-Type", type);
        d.put("download_url", slot[1]);
        return ok(d);
    }

    /** {@code POST /api/v3/media/upload/binary}, multipart field {@code file}. */
    private Fault.Answer binary(Map<String, String> headers, byte[] body) {
        var parts = parts(headers, body);
        var file = parts == null ? null : parts.stream().filter(p -> "file".equals(p.name()) && p.filename() != null).findFirst().orElse(null);
        if (file == null || file.data().length == 0) {
            return Fault.status(400, "{\"code\":400,\"message\":\"no file\",\"data\":null}");
        }
        String url = storeUpload(file.filename(), file.contentType() == null ? "application/octet-stream" : file.contentType(), file.data());
        return ok(Json.object().put("type", "video").put("download_url", url).put("filename", file.filename())
                .put("size", file.data().length));
    }

    /** The bare data object of a job in a status (what the result GET wraps and the webhook posts). */
    public ObjectNode data(Job j, String status) {
        ObjectNode d = Json.object();
        d.put("id", j.id);
        d.put("model", j.kind);
        var outputs = d.putArray("outputs");
        var nsfw = d.putArray("has_nsfw_contents");
        if (status.equals("completed")) {
            // Mirelo's video-to-audio answers num_samples sound files; the others one file, audio or the video with its sound.
            boolean several = j.kind.startsWith("mirelo-ai/");
            int n = several ? j.input.path("num_samples").asInt(2) : 1;
            for (int i = 0; i < n; i++) {
                outputs.add(outputUrl(n == 1 ? j.id : j.id + "-" + i, j.kind.endsWith("text-to-audio") ? "flac" : several ? "wav" : "mp4"));
                nsfw.add(false);
            }
        }
        d.putObject("urls").put("get", baseUrl() + "/api/v3/predictions/" + j.id + "/result");
        d.put("status", status);
        d.put("created_at", "2026-11-26T10:00:00.000Z");
        d.put("error", status.equals("failed") ? j.script.failure() : "");
        d.putObject("timings").put("inference", status.equals("completed") ? 1234 : 0);
        return d;
    }

    private static Fault.Answer ok(ObjectNode data) {
        ObjectNode env = Json.object();
        env.put("code", 200);
        env.put("message", "success");
        env.set("data", data);
        return Fault.status(200, Json.write(env));
    }

    private final java.net.http.HttpClient pushClient = java.net.http.HttpClient.newHttpClient();
    private final java.util.concurrent.atomic.AtomicInteger pushed = new java.util.concurrent.atomic.AtomicInteger();

    /** Callbacks pushed so far. */
    public int pushed() {
        return pushed.get();
    }

    private void push(String jobId, String url) {
        Job j = job(jobId);
        if (j == null || j.cancelled) {
            return;
        }
        reportedEnd(jobId); // the client hears of its end from this push
        var hook = webhook(jobId, "completed", SECRET, Instant.now());
        var req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(hook.getValue()))
                .header("content-type", "application/json");
        hook.getKey().forEach(req::header);
        try {
            pushClient.send(req.build(), java.net.http.HttpResponse.BodyHandlers.discarding());
            pushed.incrementAndGet();
        } catch (IOException | InterruptedException e) {
            // the receiver is gone: a real provider would retry; tests do not need that
        }
    }

    /** A signed webhook for a job, as WaveSpeed sends it: the data object plus {@code input}. */
    public Map.Entry<Map<String, String>, byte[]> webhook(String jobId, String status, String secret, Instant at) {
        ObjectNode d = data(job(jobId), status);
        d.set("input", job(jobId).input);
        byte[] body = Json.write(d).getBytes(StandardCharsets.UTF_8);
        String msgId = "msg_" + jobId;
        long ts = at.getEpochSecond();
        return Map.entry(Map.of("webhook-id", msgId, "webhook-timestamp", Long.toString(ts),
                "webhook-signature", WebhookSignatures.wavespeedSign(secret, msgId, ts, body)), body);
    }
}
