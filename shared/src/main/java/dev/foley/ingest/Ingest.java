package dev.foley.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.admission.Admission;
import dev.foley.json.Json;
import dev.foley.key.ApiKey;
import dev.foley.key.KeyMaterial;
import dev.foley.prediction.FieldError;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.Pricing;
import dev.foley.store.ApiKeyStore;
import dev.foley.store.UploadStore;
import dev.foley.time.Deadline;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * S3-upload-triggered generation. A video put under {@code inputs/} of the uploads bucket becomes a
 * prediction through the same {@link Admission} as the API's submit: parameters from the object's
 * metadata ({@code x-amz-meta-prompt}, {@code -negative-prompt}, {@code -duration},
 * {@code -guidance-scale}, {@code -num-inference-steps}, {@code -mask-away-clip}, {@code -seed},
 * {@code -webhook}) or from a sidecar {@code <name>.json} beside it; the video is a presigned GET
 * of the object. The result lands at {@code outputs/<same path>} with
 * {@code outputs/<path>.result.json}; bad parameters or a failed prediction write
 * {@code outputs/<path>.error.json} instead. One object version never makes two predictions,
 * however often its event is delivered.
 */
public final class Ingest {

    public static final String INPUTS = "inputs/";
    public static final String OUTPUTS = "outputs/";
    /** The first submit of an upload may take this long (the ingest function has a minute). */
    static final Duration SUBMIT_BUDGET = Duration.ofSeconds(25);
    /** Finding the ingest key's address from its id is a scan: done at most this often. */
    static final Duration KEY_LOOKUP_TTL = Duration.ofMinutes(1);
    private static final Map<String, String> METADATA = Map.of(
            "prompt", "prompt", "negative-prompt", "negative_prompt", "duration", "duration",
            "guidance-scale", "guidance_scale", "num-inference-steps", "num_inference_steps",
            "mask-away-clip", "mask_away_clip", "seed", "seed");

    /** The other models' own fields, as metadata may carry them (x-amz-meta-bgm-prompt). */
    private static final java.util.Set<String> OTHER_FIELDS = dev.foley.model.Models.ALL.stream()
            .flatMap(m -> m.params().stream()).map(dev.foley.model.Param::name).collect(java.util.stream.Collectors.toUnmodifiableSet());

    /** What happened to one object event. */
    public enum Outcome { STARTED, REPLAYED, REJECTED, IGNORED }

    private final Admission admission;
    private final ApiKeyStore keys;
    private final UploadStore uploads;
    private final IngestResults results;
    private final Clock clock;
    private final Optional<String> ingestKeyId;
    private volatile String cachedHash;
    private volatile Instant cachedAt = Instant.MIN;

    public Ingest(Admission admission, ApiKeyStore keys, UploadStore uploads, IngestResults results, Clock clock,
            Optional<String> ingestKeyId) {
        this.admission = admission;
        this.keys = keys;
        this.uploads = uploads;
        this.results = results;
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
        Optional<UploadStore.Upload> upload = uploads.head(key);
        if (upload.isEmpty()) {
            return Outcome.IGNORED; // deleted since
        }
        List<FieldError> errors = new ArrayList<>();
        ObjectNode body = parameters(key, upload.get().metadata(), errors);
        String webhook = body.has("webhook") ? body.remove("webhook").asText() : null;
        // The model (x-amz-meta-model, or "model" in the sidecar): a model path or its long path; MMAudio v2 by default.
        JsonNode asked = body.remove("model");
        Kind kind = Kind.VIDEO;
        String model = null;
        if (asked != null && !asked.isNull()) {
            String path = asked.asText("").strip();
            var video = dev.foley.model.Models.byId(path).filter(m -> "video".equals(m.input()));
            var longOf = dev.foley.model.Models.byLongPath(path);
            if (video.isPresent()) {
                model = video.get().equals(dev.foley.model.Models.MMAUDIO_V2) ? null : video.get().id();
            } else if (longOf.isPresent()) {
                kind = Kind.LONG;
                model = longOf.get().equals(dev.foley.model.Models.MMAUDIO_V2) ? null : longOf.get().id();
            } else {
                errors.add(new FieldError("model", "must be a video model's path or its long path (GET /api/v3/models lists them), got '"
                        + (path.length() > 80 ? path.substring(0, 80) + "..." : path) + "'"));
            }
        }
        body.put("video", uploads.downloadUrl(key));
        Optional<ApiKey> account = ingestAccount();
        if (account.isEmpty()) {
            errors.add(new FieldError("INGEST_KEY_ID", ingestKeyId.isEmpty()
                    ? "is not set: S3-triggered predictions need a key to be charged to"
                    : "names no API key (see ./foley keys list)"));
        }
        String idempotencyKey = "s3:" + KeyMaterial.sha256Hex(key + "#" + upload.get().version());
        Admission.Outcome outcome = admission.admit(new Admission.Application(kind, body, webhook, account.orElse(null),
                idempotencyKey, key, null, errors, model), Optional.empty(), Deadline.at(clock, clock.instant().plus(SUBMIT_BUDGET)));
        return switch (outcome) {
            case Admission.Outcome.Admitted a -> Outcome.STARTED;
            case Admission.Outcome.Replayed r -> Outcome.REPLAYED;
            // The same object version with parameters changed since (a new sidecar): the first one stands.
            case Admission.Outcome.IdempotencyConflict c -> Outcome.REPLAYED;
            case Admission.Outcome.Invalid i -> {
                writeError(key, 400, i.errors().stream().map(FieldError::toString).reduce((x, y) -> x + "; " + y).orElse(""),
                        i.errors(), null);
                yield Outcome.REJECTED;
            }
            case Admission.Outcome.TooManyInFlight t -> throw new IllegalStateException("uploads are not held to a key's limits");
            case Admission.Outcome.InsufficientBalance b -> {
                writeError(key, 402, "insufficient balance: this upload costs " + Pricing.usd(b.costMicroUsd())
                        + "; add credit to the ingest key (./foley keys credit) and upload again", List.of(), null);
                yield Outcome.REJECTED;
            }
        };
    }

    /**
     * The key S3-triggered predictions are charged to. Finding its address from its id is an
     * administrative scan, done at most once a minute; the key itself (disabled? prepaid?) is read
     * fresh each time, by address.
     */
    private Optional<ApiKey> ingestAccount() {
        String hash = cachedHash;
        Instant now = clock.instant();
        if (hash == null || now.isAfter(cachedAt.plus(KEY_LOOKUP_TTL))) {
            hash = ingestKeyId.flatMap(keys::byId).map(ApiKey::hash).orElse(null);
            cachedHash = hash;
            cachedAt = now;
        }
        return hash == null ? Optional.empty() : keys.findByHash(hash).filter(a -> !a.disabled());
    }

    private ObjectNode parameters(String key, Map<String, String> metadata, List<FieldError> errors) {
        ObjectNode body = Json.object();
        boolean fromMetadata = false;
        for (var e : metadata.entrySet()) {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            if (name.equals("webhook") || name.equals("model")) {
                body.put(name, e.getValue());
            } else if (METADATA.containsKey(name)) {
                body.set(METADATA.get(name), typed(METADATA.get(name), e.getValue()));
                fromMetadata = true;
            } else if (OTHER_FIELDS.contains(name.replace('-', '_'))) {
                // another model's own field (x-amz-meta-sound-effect-prompt, x-amz-meta-num-samples, ...)
                body.set(name.replace('-', '_'), typed(name.replace('-', '_'), e.getValue()));
                fromMetadata = true;
            }
        }
        if (fromMetadata) {
            return body;
        }
        for (String sidecar : sidecarsFor(key)) {
            Optional<byte[]> bytes = uploads.read(sidecar);
            if (bytes.isEmpty()) {
                continue; // try the next name
            }
            try {
                JsonNode n = Json.parse(bytes.get());
                if (!n.isObject()) {
                    errors.add(new FieldError(sidecar, "must be a JSON object"));
                    return body;
                }
                return (ObjectNode) n;
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
        if ((v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) && !field.endsWith("prompt")) {
            return Json.MAPPER.getNodeFactory().booleanNode(Boolean.parseBoolean(v.toLowerCase(Locale.ROOT)));
        }
        if (!field.endsWith("prompt") && v.matches("-?\\d+(\\.\\d+)?")) {
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
        for (String k : uploads.keysStartingWith(stem)) {
            if (!k.endsWith(".json") && (k.equals(stem) || (k.startsWith(stem + ".") && k.indexOf('/', stem.length()) < 0))) {
                out.add(k);
            }
        }
        return out;
    }

    private void writeError(String inputKey, int code, String message, List<FieldError> errors, ObjectNode data) {
        results.writeError(inputKey, code, message, errors, data);
    }
}
