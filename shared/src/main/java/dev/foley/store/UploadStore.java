package dev.foley.store;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Client media in the uploads bucket, the way the hosted API's SDKs upload: a ticket (a presigned
 * PUT with the size and content type bound into its signature, so S3 refuses anything else) and
 * a download URL Foley then accepts as {@code video}; or, for small files, the bytes themselves.
 */
public final class UploadStore {

    /** What a client does next: PUT the bytes to {@code url} with {@code headers}; then use {@code downloadUrl}. */
    public record Ticket(String url, Map<String, String> headers, String downloadUrl, String key) {
    }

    /** An object in the bucket as its upload left it: which version, and its user metadata. */
    public record Upload(String key, String version, Map<String, String> metadata) {
    }

    /** Download links live a day: long enough for a provider to fetch the video. */
    static final Duration DOWNLOAD_TTL = Duration.ofHours(24);
    static final Duration PUT_TTL = Duration.ofHours(1);

    private final java.util.function.Supplier<S3Client> s3;
    private final java.util.function.Supplier<S3Presigner> presigner;
    private final String bucket;

    public UploadStore(java.util.function.Supplier<S3Client> s3, java.util.function.Supplier<S3Presigner> presigner, String bucket) {
        this.s3 = s3;
        this.presigner = presigner;
        this.bucket = bucket;
    }

    public String bucket() {
        return bucket;
    }

    public Ticket ticket(String keyId, String filename, long size, String contentType) {
        String key = key(keyId, filename);
        var put = presigner.get().presignPutObject(r -> r.signatureDuration(PUT_TTL)
                .putObjectRequest(o -> o.bucket(bucket).key(key).contentType(contentType).contentLength(size)));
        return new Ticket(put.url().toString(), Map.of("Content-Type", contentType), downloadUrl(key), key);
    }

    public String putBytes(String keyId, String filename, byte[] bytes, String contentType) {
        String key = key(keyId, filename);
        s3.get().putObject(r -> r.bucket(bucket).key(key).contentType(contentType), RequestBody.fromBytes(bytes));
        return downloadUrl(key);
    }

    /** A presigned GET of an object in the uploads bucket (also what S3-triggered predictions fetch). */
    public String downloadUrl(String key) {
        return presigner.get().presignGetObject(r -> r.signatureDuration(DOWNLOAD_TTL)
                .getObjectRequest(g -> g.bucket(bucket).key(key))).url().toString();
    }

    // ---- S3-triggered generation: what ingest reads and writes beside an upload ----

    /** The object at {@code key}, or empty if it is gone (deleted since its event). */
    public java.util.Optional<Upload> head(String key) {
        try {
            var head = s3.get().headObject(r -> r.bucket(bucket).key(key));
            String version = head.versionId() != null ? head.versionId() : head.eTag();
            return java.util.Optional.of(new Upload(key, version, head.metadata()));
        } catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException e) {
            return java.util.Optional.empty();
        }
    }

    /** The bytes at {@code key}, or empty if there is no such object. */
    public java.util.Optional<byte[]> read(String key) {
        try {
            return java.util.Optional.of(s3.get().getObjectAsBytes(r -> r.bucket(bucket).key(key)).asByteArray());
        } catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException e) {
            return java.util.Optional.empty();
        }
    }

    /** Keys that start with {@code prefix} (at most 50: a sidecar has a handful of candidates). */
    public java.util.List<String> keysStartingWith(String prefix) {
        return s3.get().listObjectsV2(r -> r.bucket(bucket).prefix(prefix).maxKeys(50)).contents().stream()
                .map(software.amazon.awssdk.services.s3.model.S3Object::key).toList();
    }

    /** Writes a JSON document (a result or error file) at {@code key}. */
    public void putJson(String key, String json) {
        s3.get().putObject(r -> r.bucket(bucket).key(key).contentType("application/json"),
                RequestBody.fromString(json, java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Copies an object of another bucket (a prediction's output) to {@code key} here. */
    public void copyFrom(String sourceBucket, String sourceKey, String key) {
        s3.get().copyObject(r -> r.sourceBucket(sourceBucket).sourceKey(sourceKey).destinationBucket(bucket).destinationKey(key));
    }

    static String key(String keyId, String filename) {
        return "uploads/" + keyId + "/" + UUID.randomUUID() + "/" + safeName(filename);
    }

    /** A file name that is safe as the last part of a key: letters, digits, dot, dash, underscore. */
    static String safeName(String filename) {
        String base = filename.replace('\\', '/');
        base = base.substring(base.lastIndexOf('/') + 1);
        String s = base.replaceAll("[^A-Za-z0-9._-]", "_");
        if (s.isEmpty() || s.chars().allMatch(c -> c == '.')) {
            s = "file";
        }
        return s.length() > 120 ? s.substring(s.length() - 120) : s;
    }

    /** The hosted API's media type of a content type: image, video, audio, or file. */
    public static String mediaType(String contentType) {
        String t = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        return t.startsWith("video/") ? "video" : t.startsWith("image/") ? "image" : t.startsWith("audio/") ? "audio" : "file";
    }
}
