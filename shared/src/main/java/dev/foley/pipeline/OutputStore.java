package dev.foley.pipeline;

import dev.foley.net.PinnedHttp;
import dev.foley.prediction.Prediction;
import dev.foley.time.Deadline;
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
 * Our copy of a prediction's outputs ({@code outputs/<id>/…} in the outputs bucket) and the links
 * clients get to them. Copies stream from the provider to S3 in 8 MiB multipart parts through one
 * reused buffer, so a 500 MB output never sits in memory; every part carries its MD5 (S3 refuses a
 * part that arrives different), and the object's multipart ETag is checked against the MD5s of the
 * bytes read. A finished copy is marked, so copying again (a retried completion) does nothing.
 * Downloads go through {@link PinnedHttp} (the address checked is the address used, redirects
 * re-checked), with a read timeout (a stalled body fails) and a deadline for the whole copy.
 */
public final class OutputStore {

    /** A copy that did not finish; {@code retryable} says whether trying later can help. */
    public static final class CopyException extends Exception {
        private final boolean retryable;

        public CopyException(String message, boolean retryable) {
            super(message, null, false, false);
            this.retryable = retryable;
        }

        public boolean retryable() {
            return retryable;
        }
    }

    static final int PART = 8 * 1024 * 1024;
    /** A download that sends nothing for this long has stalled. */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
    private static final String DONE_MARK = "foley-copied";

    private final java.util.function.Supplier<S3Client> s3;
    private final java.util.function.Supplier<S3Presigner> presigner;
    private final String bucket;
    private final Duration linkTtl;
    private final Optional<String> publicBase;
    private final PinnedHttp http;
    private final Duration readTimeout;

    public OutputStore(java.util.function.Supplier<S3Client> s3, java.util.function.Supplier<S3Presigner> presigner, String bucket,
            Duration linkTtl, Optional<String> publicBase, PinnedHttp http) {
        this(s3, presigner, bucket, linkTtl, publicBase, http, READ_TIMEOUT);
    }

    public OutputStore(java.util.function.Supplier<S3Client> s3, java.util.function.Supplier<S3Presigner> presigner, String bucket,
            Duration linkTtl, Optional<String> publicBase, PinnedHttp http, Duration readTimeout) {
        this.http = http;
        this.readTimeout = readTimeout;
        this.s3 = s3;
        this.presigner = presigner;
        this.bucket = bucket;
        this.linkTtl = linkTtl;
        this.publicBase = publicBase;
    }

    public String bucket() {
        return bucket;
    }

    public S3Client s3() {
        return s3.get();
    }

    /** Copies each upstream output, done by {@code until}; returns the object keys, in order. */
    public List<String> copy(Prediction p, Deadline until) throws CopyException {
        List<String> keys = new ArrayList<>();
        List<String> urls = p.upstreamOutputs();
        for (int i = 0; i < urls.size(); i++) {
            String key = "outputs/" + p.id() + "/" + i + extension(urls.get(i));
            if (!alreadyCopied(key)) {
                copyOne(URI.create(urls.get(i)), key, until);
            }
            keys.add(key);
        }
        return keys;
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

    private boolean alreadyCopied(String key) {
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

    private void copyOne(URI source, String key, Deadline until) throws CopyException {
        try (PinnedHttp.Response resp = http.get(source, Map.of("Accept", "*/*"), readTimeout, until)) {
            int status = resp.status();
            if (status != 200) {
                // A link that 404s may be a CDN not caught up yet: paid work is worth another try.
                throw new CopyException("the provider's output answered HTTP " + status, true);
            }
            String type = Optional.ofNullable(resp.header("content-type")).orElse(guessType(key));
            upload(resp.body(), key, type);
        } catch (PinnedHttp.FetchException e) {
            throw new CopyException("the provider's output could not be fetched: " + e.getMessage(), !e.refused());
        } catch (IOException e) {
            throw new CopyException("the provider's output broke off while copying (" + e.getMessage() + ")", true);
        }
    }

    private void upload(InputStream in, String key, String contentType) throws IOException, CopyException {
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
                    throw new CopyException("S3 stored part " + pn + " with another checksum", true);
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
                throw new CopyException("the copied object's checksum does not match what was read", true);
            }
        } catch (CopyException | IOException | RuntimeException e) {
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

    static String extension(String url) {
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
