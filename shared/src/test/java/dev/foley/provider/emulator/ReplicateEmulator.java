package dev.foley.provider.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;
import dev.foley.provider.WebhookSignatures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;

/** Replicate's predictions API as documented: 201 on create, starting → processing → succeeded, one output URI. */
public final class ReplicateEmulator extends ProviderEmulator {

    public static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString("replicate-emulator-secret-32byte".getBytes());
    private volatile boolean outputAsList;

    public ReplicateEmulator(String key) throws IOException {
        super(key);
    }

    public ReplicateEmulator outputAsList(boolean v) {
        outputAsList = v;
        return this;
    }

    @Override
    protected Op classify(String method, String path) {
        if (method.equals("POST") && (path.equals("/v1/predictions") || path.matches("/v1/models/[^/]+/[^/]+/predictions"))) {
            return Op.SUBMIT;
        }
        if (method.equals("POST") && path.matches("/v1/predictions/[^/]+/cancel")) {
            return Op.CANCEL;
        }
        if (method.equals("GET") && path.matches("/v1/predictions/[^/]+")) {
            return Op.STATUS;
        }
        if (path.equals("/v1/webhooks/default/secret")) {
            return Op.SECRET;
        }
        if (method.equals("POST") && path.equals("/v1/files")) {
            return Op.UPLOAD;
        }
        return Op.OTHER;
    }

    @Override
    protected Fault.Answer answer(Op op, String method, String path, Map<String, String> query, byte[] body,
            Map<String, String> headers) {
        if (!authorized(headers, "Bearer")) {
            return Fault.status(401, "{\"title\":\"Unauthenticated\",\"detail\":\"You did not pass a valid authentication token\",\"status\":401}");
        }
        String[] parts = path.split("/");
        return switch (op) {
            case UPLOAD -> {
                // As the replicate client's files.create: multipart, the file as "content", then "metadata" (JSON).
                var form = parts(headers, body);
                var content = form == null ? null : form.stream().filter(p -> "content".equals(p.name()) && p.filename() != null)
                        .findFirst().orElse(null);
                boolean metadata = form != null && form.stream().anyMatch(p -> "metadata".equals(p.name())
                        && "application/json".equals(p.contentType()));
                if (content == null || !metadata) {
                    yield Fault.status(400, "{\"title\":\"Invalid request\",\"detail\":\"content and metadata are required\",\"status\":400}");
                }
                String url = storeUpload(content.filename(), content.contentType(), content.data());
                ObjectNode f = Json.object();
                f.put("id", "file" + url.hashCode()).put("content_type", content.contentType()).put("size", content.data().length);
                f.putObject("checksums").put("sha256", "0");
                f.putObject("metadata");
                f.put("created_at", "2026-12-02T10:00:00Z").put("expires_at", "2026-12-03T10:00:00Z");
                f.putObject("urls").put("get", url);
                yield Fault.status(201, Json.write(f));
            }
            case SUBMIT -> {
                JsonNode req = Json.parse(new String(body, StandardCharsets.UTF_8));
                if (unreachable(req.path("input").path("video").asText(null))) {
                    yield Fault.status(422, "{\"title\":\"Input validation failed\",\"detail\":\"- input.video: could not download the file\",\"status\":422}");
                }
                String id = newJob(req, req.path("input").has("video") ? "video" : "text");
                yield Fault.status(201, Json.write(prediction(job(id), "starting")));
            }
            case STATUS -> {
                Job j = job(parts[3]);
                if (j == null) {
                    yield Fault.status(404, "{\"detail\":\"Not found.\"}");
                }
                yield Fault.status(200, Json.write(prediction(j, switch (j.advance()) {
                    case "done" -> "succeeded";
                    case "failed" -> "failed";
                    case "cancelled" -> "canceled";
                    default -> j.checks.get() <= 1 ? "starting" : "processing";
                })));
            }
            case CANCEL -> {
                Job j = job(parts[3]);
                if (j == null) {
                    yield Fault.status(404, "{\"detail\":\"Not found.\"}");
                }
                j.cancelled = true;
                yield Fault.status(200, Json.write(prediction(j, "canceled")));
            }
            case SECRET -> Fault.status(200, Json.write(Json.object().put("key", SECRET)));
            default -> Fault.status(404, "{\"detail\":\"Not found.\"}");
        };
    }

    public ObjectNode prediction(Job j, String status) {
        ObjectNode p = Json.object();
        p.put("id", j.id);
        p.put("model", "zsxkib/mmaudio");
        p.put("version", j.input.path("version").asText("latest"));
        p.set("input", j.input.path("input"));
        p.put("status", status);
        p.put("logs", "");
        p.putNull("error");
        p.putNull("output");
        if (status.equals("succeeded")) {
            String url = outputUrl(j.id, j.kind.equals("text") ? "flac" : "mp4");
            if (outputAsList) {
                p.putArray("output").add(url);
            } else {
                p.put("output", url);
            }
            p.putObject("metrics").put("predict_time", 2.5);
        }
        if (status.equals("failed")) {
            p.put("error", j.script.failure());
        }
        p.putObject("urls").put("get", baseUrl() + "/v1/predictions/" + j.id).put("cancel", baseUrl() + "/v1/predictions/" + j.id + "/cancel");
        return p;
    }

    /** A signed webhook (Standard Webhooks) for a job, as Replicate sends it. */
    public Map.Entry<Map<String, String>, byte[]> webhook(String jobId, String status, String secret, Instant at) {
        byte[] body = Json.write(prediction(job(jobId), status)).getBytes(StandardCharsets.UTF_8);
        String msgId = "msg_" + jobId;
        long ts = at.getEpochSecond();
        return Map.entry(Map.of("webhook-id", msgId, "webhook-timestamp", Long.toString(ts),
                "webhook-signature", WebhookSignatures.standardSign(secret, msgId, ts, body)), body);
    }
}
