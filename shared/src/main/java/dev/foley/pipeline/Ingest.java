package dev.foley.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.api.Envelope;
import dev.foley.api.PredictionView;
import dev.foley.auth.ApiKey;
import dev.foley.auth.KeyMaterial;
import dev.foley.json.Json;
import dev.foley.lifecycle.Lifecycle;
import dev.foley.media.UploadStore;
import dev.foley.prediction.FieldError;
import dev.foley.prediction.IdGenerator;
import dev.foley.prediction.InvalidRequestException;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.RequestValidator;
import dev.foley.store.ApiKeyStore;
import dev.foley.store.IdempotencyConflictException;
import dev.foley.store.PredictionStore;
import dev.foley.time.Deadline;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * S3-upload-triggered generation. A video put under {@code inputs/} of the uploads bucket becomes a
 * prediction: parameters from the object's metadata ({@code x-amz-meta-prompt},
 * {@code -negative-prompt}, {@code -duration}, {@code -guidance-scale}, {@code -num-inference-steps},
 * {@code -mask-away-clip}, {@code -seed}, {@code -webhook}) or from a sidecar {@code <name>.json}
 * beside it, checked exactly as the API checks them; the video is a presigned GET of the object.
 * The result lands at {@code outputs/<same path>} with {@code outputs/<path>.result.json}; bad
 * parameters or a failed prediction write {@code outputs/<path>.error.json} instead. One object
 * version never makes two predictions, however often its event is delivered.
 */
public final class Ingest {

    public static final String INPUTS = "inputs/";
    public static final String OUTPUTS = "outputs/";
    /** The first submit of an upload may take this long (the ingest function has a minute). */
    static final java.time.Duration SUBMIT_BUDGET = java.time.Duration.ofSeconds(25);
    private static final Map<String, String> METADATA = Map.of(
            "prompt", "prompt", "negative-prompt", "negative_prompt", "duration", "duration",
            "guidance-scale", "guidance_scale", "num-inference-steps", "num_inference_steps",
            "mask-away-clip", "mask_away_clip", "seed", "seed");

    /** What happened to one object event. */
    public enum Outcome { STARTED, REPLAYED, REJECTED, IGNORED }

    private final PredictionStore store;
    private final ApiKeyStore keys;
    private final UploadStore uploads;
    private final java.util.function.Supplier<S3Client> s3;
    private final RequestValidator validator;
    private final Pipeline pipeline;
    private final Clock clock;
    private final Optional<String> ingestKeyId;

    public Ingest(PredictionStore store, ApiKeyStore keys, UploadStore uploads, java.util.function.Supplier<S3Client> s3,
            RequestValidator validator,
            Pipeline pipeline, Clock clock, Optional<String> ingestKeyId) {
        this.store = store;
        this.keys = keys;
        this.uploads = uploads;
        this.s3 = s3;
        this.validator = validator;
        this.pipeline = pipeline;
        this.clock = clock;
        this.ingestKeyId = ingestKeyId;
    }

    /** An object was created ({@code key} already URL-decoded). */
    public Outcome onObjectCreated(String bucket, String key) {
        if (!bucket.equals(uploads.bucket()) || !key.startsWith(INPUTS) || key.endsWith("/")) {
            return Outcome.IGNORED;
        }
        if (key.endsWith(".json")) {
            // A sidecar: start its video if the video is already there (else the video's event will).
            for (String video : videosFor(key)) {
                return onObjectCreated(bucket, video);
            }
            return Outcome.IGNORED;
        }
        HeadObjectResponse head;
        try {
            head = s3.get().headObject(r -> r.bucket(bucket).key(key));
        } catch (NoSuchKeyException e) {
            return Outcome.IGNORED; // deleted since
        }
        String version = head.versionId() != null ? head.versionId() : head.eTag();
        List<FieldError> errors = new ArrayList<>();
        ObjectNode body = parameters(key, head.metadata(), errors);
        String webhook = body.has("webhook") ? body.remove("webhook").asText() : null;
        if (webhook != null) {
            validator.checkWebhook(webhook, errors);
        }
        body.put("video", uploads.downloadUrl(key));
        PredictionRequest request = null;
        try {
            request = validator.validate(Kind.VIDEO, body);
        } catch (InvalidRequestException e) {
            errors.addAll(e.errors());
        }
        Optional<ApiKey> account = ingestAccount();
        if (account.isEmpty()) {
            errors.add(new FieldError("INGEST_KEY_ID", ingestKeyId.isEmpty()
                    ? "is not set: S3-triggered predictions need a key to be charged to"
                    : "names no API key (see ./foley keys list)"));
        }
        if (!errors.isEmpty()) {
            writeError(key, 400, errors.stream().map(FieldError::toString).reduce((a, b) -> a + "; " + b).orElse(""), errors, null);
            return Outcome.REJECTED;
        }
        Instant now = clock.instant();
        Prediction p = Prediction.accepted(IdGenerator.random().next(), account.get().keyId(), request, webhook, now)
                .withIngestKey(key).withKeyHash(account.get().hash())
                .claimedForSubmit(pipeline.owner(), now.plus(Lifecycle.SUBMIT_LEASE));
        var claim = new PredictionStore.IdempotencyClaim(account.get().keyId(), "s3:" + KeyMaterial.sha256Hex(key + "#" + version),
                KeyMaterial.sha256Hex(key + "#" + version));
        long cost = pipeline.costOf(p);
        if (account.get().prepaid()) {
            // As the API does: a prepaid key pays up front, or nothing starts.
            if (!keys.reserve(account.get(), cost)) {
                writeError(key, 402, "insufficient balance: this upload costs " + Pipeline.usd(cost)
                        + "; add credit to the ingest key (./foley keys credit) and upload again", List.of(), null);
                return Outcome.REJECTED;
            }
            p = p.withReservation(cost);
        }
        try {
            PredictionStore.Created created = store.create(p, claim);
            if (created instanceof PredictionStore.Created.Replayed) {
                refundIfReserved(p); // the first delivery holds its own reservation
                return Outcome.REPLAYED;
            }
        } catch (IdempotencyConflictException impossible) {
            refundIfReserved(p);
            return Outcome.REPLAYED;
        } catch (RuntimeException e) {
            refundIfReserved(p); // the event is retried
            throw e;
        }
        pipeline.submitClaimed(p, Optional.empty(), Deadline.at(clock, now.plus(SUBMIT_BUDGET)));
        return Outcome.STARTED;
    }

    private volatile String cachedHash;
    private volatile long cachedAt;

    /**
     * The key S3-triggered predictions are charged to. Finding its address from its id is an
     * administrative scan, done at most once a minute; the key itself (disabled? prepaid?) is read
     * fresh each time, by address.
     */
    private Optional<ApiKey> ingestAccount() {
        String hash = cachedHash;
        if (hash == null || System.nanoTime() - cachedAt > 60_000_000_000L) {
            hash = ingestKeyId.flatMap(keys::byId).map(ApiKey::hash).orElse(null);
            cachedHash = hash;
            cachedAt = System.nanoTime();
        }
        return hash == null ? Optional.empty() : keys.findByHash(hash).filter(a -> !a.disabled());
    }

    private void refundIfReserved(Prediction p) {
        if (p.reservedMicroUsd() > 0) {
            keys.refund(p.keyHash(), p.reservedMicroUsd());
        }
    }

    /**
     * Writes the result beside the upload when an S3-triggered prediction ends (the pipeline's
     * worker calls it, and calls it again later if it throws).
     */
    public void writeResult(Prediction p) {
        if (p.ingestKey() == null) {
            return;
        }
        {
            if (p.phase() == Phase.COMPLETED && !p.outputKeys().isEmpty()) {
                String target = OUTPUTS + p.ingestKey().substring(INPUTS.length());
                String source = p.outputKeys().get(0);
                s3.get().copyObject(r -> r.sourceBucket(pipeline.outputs().bucket()).sourceKey(source)
                        .destinationBucket(uploads.bucket()).destinationKey(target));
                ObjectNode data = PredictionView.data(p, "", pipeline.outputs()::links);
                putJson(target + ".result.json", Envelope.ok(data));
            } else if (p.phase().terminal()) {
                writeError(p.ingestKey(), 200, p.error(), List.of(), PredictionView.data(p, "", PredictionView.OutputLinks.NONE));
            }
        }
    }

    private ObjectNode parameters(String key, Map<String, String> metadata, List<FieldError> errors) {
        ObjectNode body = Json.object();
        boolean fromMetadata = false;
        for (var e : metadata.entrySet()) {
            String name = e.getKey().toLowerCase(java.util.Locale.ROOT);
            if (name.equals("webhook")) {
                body.put("webhook", e.getValue());
            } else if (METADATA.containsKey(name)) {
                body.set(METADATA.get(name), typed(METADATA.get(name), e.getValue()));
                fromMetadata = true;
            }
        }
        if (fromMetadata) {
            return body;
        }
        for (String sidecar : sidecarsFor(key)) {
            try {
                byte[] bytes = s3.get().getObjectAsBytes(r -> r.bucket(uploads.bucket()).key(sidecar)).asByteArray();
                JsonNode n = Json.parse(bytes);
                if (!n.isObject()) {
                    errors.add(new FieldError(sidecar, "must be a JSON object"));
                    return body;
                }
                return (ObjectNode) n;
            } catch (NoSuchKeyException missing) {
                // try the next name
            } catch (Json.InvalidJsonException e) {
                errors.add(new FieldError(sidecar, "is not valid JSON: " + e.getMessage()));
                return body;
            }
        }
        errors.add(new FieldError("prompt", "required: set object metadata (x-amz-meta-prompt) or upload "
                + sidecarsFor(key).get(0) + " beside the video first"));
        return body;
    }

    /** Metadata is text: numbers and booleans written as text become JSON numbers and booleans. */
    private static JsonNode typed(String field, String value) {
        String v = value.strip();
        if (field.equals("mask_away_clip") && (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false"))) {
            return Json.MAPPER.getNodeFactory().booleanNode(Boolean.parseBoolean(v.toLowerCase(java.util.Locale.ROOT)));
        }
        if ((field.equals("duration") || field.equals("num_inference_steps") || field.equals("seed") || field.equals("guidance_scale"))
                && v.matches("-?\\d+(\\.\\d+)?")) {
            return Json.parse(v);
        }
        return Json.MAPPER.getNodeFactory().textNode(value);
    }

    /** {@code inputs/a/clip.mp4} → {@code inputs/a/clip.mp4.json}, {@code inputs/a/clip.json}. */
    static List<String> sidecarsFor(String videoKey) {
        List<String> out = new ArrayList<>(List.of(videoKey + ".json"));
        int dot = videoKey.lastIndexOf('.');
        if (dot > videoKey.lastIndexOf('/')) {
            out.add(videoKey.substring(0, dot) + ".json");
        }
        return out;
    }

    /** The videos a sidecar may belong to that exist now. */
    private List<String> videosFor(String sidecarKey) {
        String stem = sidecarKey.substring(0, sidecarKey.length() - ".json".length());
        List<String> out = new ArrayList<>();
        for (var o : s3.get().listObjectsV2(r -> r.bucket(uploads.bucket()).prefix(stem).maxKeys(50)).contents()) {
            String k = o.key();
            if (!k.endsWith(".json") && (k.equals(stem) || (k.startsWith(stem + ".") && k.indexOf('/', stem.length()) < 0))) {
                out.add(k);
            }
        }
        return out;
    }

    private void writeError(String inputKey, int code, String message, List<FieldError> errors, ObjectNode data) {
        String target = OUTPUTS + inputKey.substring(INPUTS.length()) + ".error.json";
        JsonNode env = Json.parse(Envelope.error(code, message, errors));
        if (data != null) {
            ((ObjectNode) env).set("data", data);
        }
        putJson(target, Json.write(env));
    }

    private void putJson(String key, String json) {
        s3.get().putObject(r -> r.bucket(uploads.bucket()).key(key).contentType("application/json"),
                RequestBody.fromString(json, StandardCharsets.UTF_8));
    }
}
