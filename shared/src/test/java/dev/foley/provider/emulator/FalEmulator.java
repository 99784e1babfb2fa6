package dev.foley.provider.emulator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;
import dev.foley.provider.WebhookSignatures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;

/**
 * fal.ai's queue API as documented: submit answers URLs (without the /text-to-audio subpath);
 * status IN_QUEUE → IN_PROGRESS → COMPLETED; a failed job is COMPLETED and its result GET answers
 * non-2xx (422 with FastAPI details, or 500 with X-Fal-Error-Type); pushes signed with Ed25519 and a
 * JWKS at {@code /.well-known/jwks.json}.
 */
public final class FalEmulator extends ProviderEmulator {

    private final KeyPair keys;
    private volatile boolean failureIsValidation;

    public FalEmulator(String key) throws Exception {
        super(key);
        keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    }

    /** Failed jobs answer 422 (input) instead of 500 (runner error). */
    public FalEmulator failuresAreValidation(boolean v) {
        failureIsValidation = v;
        return this;
    }

    public String jwksUrl() {
        return baseUrl() + "/.well-known/jwks.json";
    }

    @Override
    protected Op classify(String method, String path) {
        if (method.equals("POST") && path.equals("/storage/upload/initiate")) {
            return Op.UPLOAD;
        }
        // Any app: POST /{owner}/{app}[/{path}] queues; /{owner}/{app}/requests/{id}[/status|/cancel] follow it.
        if (path.matches("/[^/]+/[^/]+/requests/[^/]+/status")) {
            return Op.STATUS;
        }
        if (path.matches("/[^/]+/[^/]+/requests/[^/]+/cancel")) {
            return Op.CANCEL;
        }
        if (path.matches("/[^/]+/[^/]+/requests/[^/]+")) {
            return Op.RESULT;
        }
        if (method.equals("POST") && path.matches("/[^/]+/[^/]+(/.*)?") && !path.startsWith("/storage/") && !path.startsWith("/.well-known/")) {
            return Op.SUBMIT;
        }
        return Op.OTHER;
    }

    @Override
    protected Fault.Answer answer(Op op, String method, String path, Map<String, String> query, byte[] body,
            Map<String, String> headers) {
        if (path.equals("/.well-known/jwks.json")) {
            ObjectNode jwks = Json.object();
            jwks.putArray("keys").addObject().put("kty", "OKP").put("crv", "Ed25519").put("kid", "emulator")
                    .put("x", Base64.getUrlEncoder().withoutPadding().encodeToString(rawPublicKey()));
            return Fault.status(200, Json.write(jwks));
        }
        if (!authorized(headers, "Key")) {
            return Fault.status(401, "{\"detail\":\"Invalid key\"}");
        }
        String[] parts = path.split("/");
        return switch (op) {
            case UPLOAD -> {
                // As @fal-ai/client's storage.upload: ?storage_type=fal-cdn-v3, {content_type, file_name}.
                var t = Json.parse(new String(body, StandardCharsets.UTF_8));
                if (!"fal-cdn-v3".equals(query.get("storage_type")) || !t.path("content_type").isTextual()
                        || !t.path("file_name").isTextual() || t.size() != 2) {
                    yield Fault.status(422, "{\"detail\":[{\"loc\":[\"body\"],\"msg\":\"invalid upload request\",\"type\":\"value_error\"}]}");
                }
                String[] slot = uploadSlot(t.get("file_name").asText(), t.get("content_type").asText(), -1, true);
                yield Fault.status(200, Json.write(Json.object().put("upload_url", slot[0]).put("file_url", slot[1])));
            }
            case SUBMIT -> {
                if (unreachable(Json.parse(new String(body, StandardCharsets.UTF_8)).path("video_url").asText(null))) {
                    yield Fault.status(422, "{\"detail\":[{\"loc\":[\"body\",\"video_url\"],\"msg\":\"Failed to download the file\",\"type\":\"file_download_error\"}]}");
                }
                String app = path.substring(1);
                String id = newJob(Json.parse(new String(body, StandardCharsets.UTF_8)),
                        path.endsWith("/text-to-audio") ? "text" : app.startsWith("fal-ai/mmaudio-v2") ? "video" : app);
                String[] seg = path.split("/");
                String root = baseUrl() + "/" + seg[1] + "/" + seg[2] + "/requests/" + id;
                yield Fault.status(200, Json.write(Json.object().put("request_id", id).put("response_url", root)
                        .put("status_url", root + "/status").put("cancel_url", root + "/cancel")));
            }
            case STATUS -> {
                Job j = job(parts[4]);
                if (j == null) {
                    yield Fault.status(404, "{\"detail\":\"Request not found\"}");
                }
                String s = j.advance();
                yield switch (s) {
                    case "running" -> j.checks.get() <= 1
                            ? Fault.status(200, "{\"status\":\"IN_QUEUE\",\"queue_position\":2}")
                            : Fault.status(200, "{\"status\":\"IN_PROGRESS\",\"logs\":[]}");
                    default -> Fault.status(200, "{\"status\":\"COMPLETED\",\"metrics\":{\"inference_time\":1.5}}");
                };
            }
            case RESULT -> {
                Job j = job(parts[4]);
                if (j == null) {
                    yield Fault.status(404, "{\"detail\":\"Request not found\"}");
                }
                if (j.script.failure() != null) {
                    yield failureIsValidation
                            ? Fault.status(422, "{\"detail\":[{\"loc\":[\"body\",\"video_url\"],\"msg\":\"" + j.script.failure()
                                    + "\",\"type\":\"value_error\"}]}")
                            : new Fault.Answer(500, "{\"detail\":\"" + j.script.failure() + "\",\"error_type\":\"runner_error\"}",
                                    Map.of("content-type", "application/json", "x-fal-error-type", "runner_error"));
                }
                yield Fault.status(200, Json.write(result(j)));
            }
            case CANCEL -> {
                Job j = job(parts[4]);
                if (j == null) {
                    yield Fault.status(404, "{\"status\":\"NOT_FOUND\"}");
                }
                j.cancelled = true;
                yield Fault.status(202, "{\"status\":\"CANCELLATION_REQUESTED\"}");
            }
            default -> Fault.status(404, "{\"detail\":\"Not Found\"}");
        };
    }

    ObjectNode result(Job j) {
        ObjectNode r = Json.object();
        if (j.kind.startsWith("mirelo-ai/")) { // several samples: a list of videos
            var list = r.putArray("video");
            for (int i = 0; i < j.input.path("num_samples").asInt(2); i++) {
                list.addObject().put("url", outputUrl(j.id + "-" + i, "mp4")).put("content_type", "video/mp4");
            }
            return r;
        }
        if (j.kind.startsWith("fal-ai/kling-video/")) { // Kling answers the video and its sound as an MP3
            r.putObject("audio").put("url", outputUrl(j.id + "-audio", "mp3")).put("content_type", "audio/mpeg");
        }
        String name = j.kind.equals("text") ? "audio" : "video";
        String ext = j.kind.equals("text") ? "wav" : "mp4";
        r.putObject(name).put("url", outputUrl(j.id, ext)).put("content_type", name + "/" + ext)
                .put("file_name", j.id + "." + ext).put("file_size", 12345);
        return r;
    }

    /** A signed push for a finished job, as fal sends it. */
    public Map.Entry<Map<String, String>, byte[]> webhook(String jobId, boolean ok, Instant at) throws Exception {
        ObjectNode body = Json.object();
        body.put("request_id", jobId);
        body.put("gateway_request_id", jobId);
        body.put("status", ok ? "OK" : "ERROR");
        if (ok) {
            body.set("payload", result(job(jobId)));
        } else {
            body.put("error", "Invalid status code: 422");
            body.putObject("payload").putArray("detail").addObject().put("msg", "video could not be decoded");
        }
        byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
        String ts = Long.toString(at.getEpochSecond());
        return Map.entry(Map.of("x-fal-webhook-request-id", jobId, "x-fal-webhook-user-id", "user-1",
                "x-fal-webhook-timestamp", ts, "x-fal-webhook-signature", HexFormat.of().formatHex(
                        sign(WebhookSignatures.falMessage(jobId, "user-1", ts, bytes)))), bytes);
    }

    byte[] sign(byte[] message) throws Exception {
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(keys.getPrivate());
        s.update(message);
        return s.sign();
    }

    byte[] rawPublicKey() {
        byte[] der = keys.getPublic().getEncoded();
        return Arrays.copyOfRange(der, der.length - 32, der.length);
    }
}
