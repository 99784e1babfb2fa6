package dev.foley.aws;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * The S3 calls Foley makes, through the AWS SDK's S3 client and presigner: presigned GET and PUT
 * links, PutObject, GetObject, HeadObject, CopyObject, ListObjectsV2, DeleteObject and the four
 * calls of a multipart upload. The SDK addresses buckets as S3 wants (virtual-hosted on AWS,
 * path-style against a configured endpoint: moto, LocalStack), retries throttling ({@code SlowDown},
 * 503) and 5xx with back-off, reads the errors S3 answers with a 200 (a failed CopyObject or
 * CompleteMultipartUpload), follows region redirects, and sends CRC32 checksums that S3 checks
 * before it stores a byte. What is left here is Foley's reading of the outcome: a missing object
 * is empty, an outage ({@link SignedHttp.UnavailableException}) is a passing fault, anything else
 * ({@link S3Exception}) is ours to fix.
 */
public final class S3 {

    /** An object's version, ETag and user metadata ({@code x-amz-meta-*}, names lower-cased). */
    public record Head(String versionId, String eTag, long contentLength, Map<String, String> metadata) {
    }

    /** One finished part of a multipart upload, with the checksum S3 checked it against. */
    public record Part(int number, String eTag, String crc32) {
    }

    /** S3 refused a call (an error of ours: a missing bucket, a bad request). */
    public static final class S3Exception extends RuntimeException {
        private final int status;
        private final String code;

        public S3Exception(int status, String code, String message) {
            super("S3 " + status + " " + code + ": " + message);
            this.status = status;
            this.code = code;
        }

        public int status() {
            return status;
        }

        public String code() {
            return code;
        }
    }

    private final Supplier<S3Client> clients;
    private final Supplier<S3Presigner> presigners;

    /**
     * The client and the presigner, each built on first use (a submit, the poller's idle run, a
     * webhook touch no S3: a fresh JVM does not pay for the S3 module's start-up before it needs it).
     */
    public S3(Supplier<S3Client> client, Supplier<S3Presigner> presigner) {
        this.clients = client;
        this.presigners = presigner;
    }

    // ---- links ----

    public String presignGet(String bucket, String key, Duration ttl) {
        return presigners.get().presignGetObject(r -> r.signatureDuration(ttl).getObjectRequest(g -> g.bucket(bucket).key(key)))
                .url().toString();
    }

    /** A PUT link that S3 honours only with this content type and length (both are in the signature). */
    public String presignPut(String bucket, String key, String contentType, long contentLength, Duration ttl) {
        return presigners.get().presignPutObject(r -> r.signatureDuration(ttl)
                .putObjectRequest(p -> p.bucket(bucket).key(key).contentType(contentType).contentLength(contentLength)))
                .url().toString();
    }

    // ---- objects ----

    public void put(String bucket, String key, byte[] body, String contentType) {
        call(() -> clients.get().putObject(r -> r.bucket(bucket).key(key).contentType(contentType).checksumAlgorithm(ChecksumAlgorithm.CRC32),
                RequestBody.fromBytes(body)));
    }

    /** The object's bytes, or empty if there is none. */
    public Optional<byte[]> get(String bucket, String key) {
        try {
            return Optional.of(call(() -> clients.get().getObjectAsBytes(r -> r.bucket(bucket).key(key)).asByteArray()));
        } catch (S3Exception e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** The object's head, or empty if there is none. */
    public Optional<Head> head(String bucket, String key) {
        try {
            var h = call(() -> clients.get().headObject(r -> r.bucket(bucket).key(key)));
            Map<String, String> meta = new LinkedHashMap<>();
            h.metadata().forEach((k, v) -> meta.put(k.toLowerCase(java.util.Locale.ROOT), v));
            return Optional.of(new Head(h.versionId(), h.eTag(), h.contentLength() == null ? -1 : h.contentLength(), meta));
        } catch (S3Exception e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    public void copy(String sourceBucket, String sourceKey, String bucket, String key) {
        call(() -> clients.get().copyObject(r -> r.sourceBucket(sourceBucket).sourceKey(sourceKey).destinationBucket(bucket)
                .destinationKey(key)));
    }

    public void delete(String bucket, String key) {
        try {
            call(() -> clients.get().deleteObject(r -> r.bucket(bucket).key(key)));
        } catch (S3Exception e) {
            if (e.status() != 404) {
                throw e;
            }
        }
    }

    /** Keys that start with {@code prefix}, at most {@code max}. */
    public List<String> list(String bucket, String prefix, int max) {
        List<String> keys = new ArrayList<>();
        call(() -> clients.get().listObjectsV2(r -> r.bucket(bucket).prefix(prefix).maxKeys(max))).contents().forEach(o -> keys.add(o.key()));
        return keys;
    }

    // ---- multipart ----

    /** Starts a multipart upload whose parts carry CRC32 checksums; returns its id. */
    public String startMultipart(String bucket, String key, String contentType, Map<String, String> metadata) {
        return call(() -> clients.get().createMultipartUpload(r -> r.bucket(bucket).key(key).contentType(contentType).metadata(metadata)
                .checksumAlgorithm(ChecksumAlgorithm.CRC32))).uploadId();
    }

    /**
     * Uploads part {@code number} ({@code len} bytes of {@code buf}) with its CRC32, which S3 checks
     * before it keeps the part (a part damaged on the way is refused, not stored).
     */
    public Part uploadPart(String bucket, String key, String uploadId, int number, byte[] buf, int len) {
        var r = call(() -> clients.get().uploadPart(p -> p.bucket(bucket).key(key).uploadId(uploadId).partNumber(number)
                .checksumAlgorithm(ChecksumAlgorithm.CRC32), RequestBody.fromBytes(java.util.Arrays.copyOf(buf, len))));
        return new Part(number, r.eTag(), r.checksumCRC32());
    }

    /** Completes the upload from its parts; returns the object's ETag. */
    public String completeMultipart(String bucket, String key, String uploadId, List<Part> parts) {
        List<CompletedPart> done = parts.stream().map(p -> CompletedPart.builder().partNumber(p.number()).eTag(p.eTag())
                .checksumCRC32(p.crc32()).build()).toList();
        return call(() -> clients.get().completeMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId)
                .multipartUpload(m -> m.parts(done)))).eTag();
    }

    public void abortMultipart(String bucket, String key, String uploadId) {
        try {
            call(() -> clients.get().abortMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId)));
        } catch (S3Exception e) {
            if (e.status() != 404) {
                throw e;
            }
        }
    }

    /**
     * One call, its outcome read as Foley reads it: throttling and 5xx (after the SDK's own retries)
     * and a connection that failed are an outage; any other refusal is an {@link S3Exception} with
     * S3's status and code.
     */
    private static <T> T call(Supplier<T> c) {
        try {
            return c.get();
        } catch (NoSuchKeyException e) {
            throw new S3Exception(404, "NoSuchKey", e.getMessage());
        } catch (SdkServiceException e) {
            String code = e instanceof software.amazon.awssdk.awscore.exception.AwsServiceException a && a.awsErrorDetails() != null
                    ? String.valueOf(a.awsErrorDetails().errorCode()) : "";
            if (e.statusCode() >= 500 || e.statusCode() == 429 || e.isThrottlingException() || "SlowDown".equals(code)) {
                throw new SignedHttp.UnavailableException("S3 answered " + e.statusCode() + " " + code, e.statusCode(), e);
            }
            throw new S3Exception(e.statusCode(), code, e.getMessage());
        } catch (SdkClientException e) {
            throw new SignedHttp.UnavailableException("S3 could not be reached: " + e.getMessage(), 0, e);
        }
    }
}
