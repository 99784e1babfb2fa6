package dev.foley.store;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import dev.foley.aws.S3;

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

    private final S3 s3;
    private final String bucket;

    public UploadStore(S3 s3, String bucket) {
        this.s3 = s3;
        this.bucket = bucket;
    }

    public String bucket() {
        return bucket;
    }

    public Ticket ticket(String keyId, String filename, long size, String contentType) {
        String key = key(keyId, filename);
        String put = s3.presignPut(bucket, key, contentType, size, PUT_TTL);
        return new Ticket(put, Map.of("Content-Type", contentType), downloadUrl(key), key);
    }

    public String putBytes(String keyId, String filename, byte[] bytes, String contentType) {
        String key = key(keyId, filename);
        S3Calls.guarded(() -> {
            s3.put(bucket, key, bytes, contentType);
            return null;
        });
        return downloadUrl(key);
    }

    /** What every {@link #downloadUrl} starts with: the uploads bucket's address (scheme, host, path). */
    public String linkBase() {
        String probe = "k";
        String url = downloadUrl(probe);
        int q = url.indexOf('?');
        String path = q < 0 ? url : url.substring(0, q);
        return path.substring(0, path.length() - probe.length());
    }

    /** A presigned GET of an object in the uploads bucket (also what S3-triggered predictions fetch). */
    public String downloadUrl(String key) {
        return s3.presignGet(bucket, key, DOWNLOAD_TTL);
    }

    // ---- S3-triggered generation: what ingest reads and writes beside an upload ----

    /** The object at {@code key}, or empty if it is gone (deleted since its event). */
    public java.util.Optional<Upload> head(String key) {
        return S3Calls.guarded(() -> s3.head(bucket, key))
                .map(h -> new Upload(key, h.versionId() != null ? h.versionId() : h.eTag(), h.metadata()));
    }

    /** The bytes at {@code key}, or empty if there is no such object. */
    public java.util.Optional<byte[]> read(String key) {
        return S3Calls.guarded(() -> s3.get(bucket, key));
    }

    /** Keys that start with {@code prefix} (at most 50: a sidecar has a handful of candidates). */
    public java.util.List<String> keysStartingWith(String prefix) {
        return S3Calls.guarded(() -> s3.list(bucket, prefix, 50));
    }

    /** Writes a JSON document (a result or error file) at {@code key}. */
    public void putJson(String key, String json) {
        S3Calls.guarded(() -> {
            s3.put(bucket, key, json.getBytes(java.nio.charset.StandardCharsets.UTF_8), "application/json");
            return null;
        });
    }

    /** Copies an object of another bucket (a prediction's output) to {@code key} here. */
    public void copyFrom(String sourceBucket, String sourceKey, String key) {
        S3Calls.guarded(() -> {
            s3.copy(sourceBucket, sourceKey, bucket, key);
            return null;
        });
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
