package dev.foley.store;

import dev.foley.prediction.Prediction;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Our copies of predictions' outputs ({@code outputs/<id>/…} in the outputs bucket) and the links
 * clients get to them. An output streams into S3 in 8 MiB multipart parts through one reused
 * buffer, so a 500 MB output never sits in memory; every part carries its MD5 (S3 refuses a part
 * that arrives different), and the object's multipart ETag is checked against the MD5s of the bytes
 * read. A finished object is marked, so a retried completion knows it need not copy again.
 */
public final class OutputStore {

    /** S3 stored something else than what was read: the object is not kept; trying again can help. */
    public static final class ChecksumMismatchException extends IOException {
        public ChecksumMismatchException(String message) {
            super(message);
        }
    }

    static final int PART = 8 * 1024 * 1024;
    private static final String DONE_MARK = "foley-copied";

    private final java.util.function.Supplier<S3Client> s3;
    private final java.util.function.Supplier<S3Presigner> presigner;
    private final String bucket;
    private final Duration linkTtl;
    private final Optional<String> publicBase;

    public OutputStore(java.util.function.Supplier<S3Client> s3, java.util.function.Supplier<S3Presigner> presigner, String bucket,
            Duration linkTtl, Optional<String> publicBase) {
        this.s3 = s3;
        this.presigner = presigner;
        this.bucket = bucket;
        this.linkTtl = linkTtl;
        this.publicBase = publicBase;
    }

    public String bucket() {
        return bucket;
    }

    /** Where output {@code i} of prediction {@code id} lives ({@code extension} with its dot, or empty). */
    public static String keyOf(String id, int i, String extension) {
        return "outputs/" + id + "/" + i + extension;
    }

    /** Download links for a completed prediction's outputs, made at read time (presigning is local). */
    public List<String> links(Prediction p) {
        List<String> out = new ArrayList<>();
        for (String key : p.outputKeys()) {
            if (publicBase.isPresent()) {
                out.add(publicBase.get() + "/" + key);
            } else {
                out.add(presigner.get().presignGetObject(r -> r.signatureDuration(linkTtl)
                        .getObjectRequest(g -> g.bucket(bucket).key(key))).url().toString());
            }
        }
        return out;
    }

    /** Whether {@code key} holds a finished copy. */
    public boolean copied(String key) {
        try {
            return "1".equals(s3.get().headObject(r -> r.bucket(bucket).key(key)).metadata().get(DONE_MARK));
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Streams {@code in} to {@code key}, then marks it finished. A read that fails (the source broke
     * off, stalled, ran out of time) leaves nothing behind (the multipart upload is aborted) and is
     * rethrown.
     */
    public void put(String key, InputStream in, String contentType) throws IOException {
        upload(in, key, contentType == null ? guessType(key) : contentType);
    }

    private void upload(InputStream in, String key, String contentType) throws IOException {
        String uploadId = s3.get().createMultipartUpload(r -> r.bucket(bucket).key(key).contentType(contentType)
                .metadata(Map.of(DONE_MARK, "1"))).uploadId();
        try {
            byte[] buf = new byte[PART];
            List<CompletedPart> parts = new ArrayList<>();
            MessageDigest md5OfMd5s = md5();
            int partNumber = 1;
            while (true) {
                int n = in.readNBytes(buf, 0, PART);
                if (n == 0 && partNumber > 1) {
                    break;
                }
                MessageDigest partMd5 = md5();
                partMd5.update(buf, 0, n);
                byte[] md5 = partMd5.digest();
                md5OfMd5s.update(md5);
                int pn = partNumber;
                int len = n;
                String etag = s3.get().uploadPart(r -> r.bucket(bucket).key(key).uploadId(uploadId).partNumber(pn)
                                .contentLength((long) len).contentMD5(Base64.getEncoder().encodeToString(md5)),
                        RequestBody.fromContentProvider(() -> new ByteArrayInputStream(buf, 0, len), len,
                                "application/octet-stream")).eTag();
                if (!unquote(etag).equalsIgnoreCase(HexFormat.of().formatHex(md5))) {
                    throw new ChecksumMismatchException("S3 stored part " + pn + " with another checksum");
                }
                parts.add(CompletedPart.builder().partNumber(pn).eTag(etag).build());
                partNumber++;
                if (n < PART) {
                    break;
                }
            }
            String finalEtag = s3.get().completeMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(parts))).eTag();
            String expected = HexFormat.of().formatHex(md5OfMd5s.digest()) + "-" + parts.size();
            if (!unquote(finalEtag).equalsIgnoreCase(expected)) {
                s3.get().deleteObject(r -> r.bucket(bucket).key(key));
                throw new ChecksumMismatchException("the copied object's checksum does not match what was read");
            }
        } catch (IOException | RuntimeException e) {
            try {
                s3.get().abortMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId));
            } catch (RuntimeException ignored) {
                // completed already, or gone
            }
            throw e;
        }
    }

    private static String unquote(String etag) {
        return etag == null ? "" : etag.replace("\"", "");
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The extension of a URL's path ({@code .mp4}), or empty. */
    public static String extension(String url) {
        String path = URI.create(url).getPath();
        int dot = path == null ? -1 : path.lastIndexOf('.');
        if (dot < 0 || dot < path.lastIndexOf('/')) {
            return "";
        }
        String ext = path.substring(dot).toLowerCase(Locale.ROOT);
        return ext.matches("\\.[a-z0-9]{1,5}") ? ext : "";
    }

    private static String guessType(String key) {
        if (key.endsWith(".mp4")) {
            return "video/mp4";
        }
        if (key.endsWith(".flac")) {
            return "audio/flac";
        }
        if (key.endsWith(".wav")) {
            return "audio/wav";
        }
        return "application/octet-stream";
    }
}
