package dev.foley.store;

import dev.foley.prediction.Prediction;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import dev.foley.aws.S3;

/**
 * Our copies of predictions' outputs ({@code outputs/<id>/…} in the outputs bucket) and the links
 * clients get to them. An output streams into S3 in 8 MiB multipart parts through one reused
 * buffer, so a 500 MB output never sits in memory; every part carries its MD5 (S3 refuses a part
 * that arrives different), and the object's multipart ETag is checked against the MD5s of the bytes
 * read. A finished object is marked, so a retried completion knows it need not copy again.
 */
public final class OutputStore {


    static final int PART = 8 * 1024 * 1024;
    private static final String DONE_MARK = "foley-copied";

    private final S3 s3;
    private final String bucket;
    private final Duration linkTtl;
    private final Optional<String> publicBase;
    /** A window's clip is fetched by the provider soon after its submit; the link outlives any provider queue. */
    static final Duration WORK_LINK_TTL = Duration.ofHours(6);

    public OutputStore(S3 s3, String bucket, Duration linkTtl, Optional<String> publicBase) {
        this.s3 = s3;
        this.bucket = bucket;
        this.linkTtl = linkTtl;
        this.publicBase = publicBase;
    }

    public String bucket() {
        return bucket;
    }

    /** Where output {@code i} of prediction {@code id} lives ({@code extension} with its dot, or empty). */
    public static String keyOf(String id, int i, String extension) {
        int mark = id.indexOf(dev.foley.prediction.Prediction.WINDOW_MARK);
        if (mark >= 0) {
            // A window's output is work in progress, kept beside its parent's other media work.
            return "work/" + id.substring(0, mark) + "/out-" + id.substring(mark + 1) + "-" + i + extension;
        }
        return "outputs/" + id + "/" + i + extension;
    }

    /**
     * Streams object {@code key} to {@code file} (memory stays flat whatever its size); false when
     * there is no such object.
     */
    public boolean download(String key, java.nio.file.Path file) throws IOException {
        java.net.URI link = java.net.URI.create(s3.presignGet(bucket, key, Duration.ofMinutes(15)));
        try {
            var resp = DOWNLOADS.send(java.net.http.HttpRequest.newBuilder(link).timeout(Duration.ofMinutes(10)).GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.ofFile(file));
            if (resp.statusCode() == 404) {
                java.nio.file.Files.deleteIfExists(file);
                return false;
            }
            if (resp.statusCode() != 200) {
                throw new IOException("our bucket answered HTTP " + resp.statusCode() + " reading " + key);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted reading " + key, e);
        }
    }

    private static final java.net.http.HttpClient DOWNLOADS = java.net.http.HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10)).build();

    /** A short-lived link to an object of media work (a window's clip), for the provider to fetch. */
    public String workLink(String key) {
        return s3.presignGet(bucket, key, WORK_LINK_TTL);
    }

    /** Download links for a completed prediction's outputs, made at read time (presigning is local). */
    public List<String> links(Prediction p) {
        List<String> out = new ArrayList<>();
        for (String key : p.outputKeys()) {
            out.add(publicBase.map(b -> b + "/" + key).orElseGet(() -> s3.presignGet(bucket, key, linkTtl)));
        }
        return out;
    }

    /** Removes a prediction's outputs from the bucket (a deleted prediction's files go with it). */
    public void delete(Prediction p) {
        for (String key : p.outputKeys()) {
            S3Calls.guarded(() -> {
                s3.delete(bucket, key);
                return null;
            });
        }
    }

    /** Whether {@code key} holds a finished copy. */
    public boolean copied(String key) {
        return S3Calls.guarded(() -> s3.head(bucket, key)).map(h -> "1".equals(h.metadata().get(DONE_MARK))).orElse(false);
    }

    /**
     * Streams {@code in} to {@code key}, then marks it finished. A read that fails (the source broke
     * off, stalled, ran out of time) leaves nothing behind (the multipart upload is aborted) and is
     * rethrown.
     */
    public void put(String key, InputStream in, String contentType) throws IOException {
        String type = contentType == null ? guessType(key) : contentType;
        String uploadId = S3Calls.guarded(() -> s3.startMultipart(bucket, key, type, Map.of(DONE_MARK, "1")));
        try {
            // Each part goes with its CRC32, which S3 checks before it keeps the part: a part damaged on the
            // way is refused, never stored (an ETag is no MD5 under SSE-KMS, so it is not what we check).
            byte[] buf = new byte[PART];
            List<S3.Part> parts = new ArrayList<>();
            int partNumber = 1;
            while (true) {
                int n = in.readNBytes(buf, 0, PART);
                if (n == 0 && partNumber > 1) {
                    break;
                }
                int pn = partNumber;
                parts.add(S3Calls.guarded(() -> s3.uploadPart(bucket, key, uploadId, pn, buf, n)));
                partNumber++;
                if (n < PART) {
                    break;
                }
            }
            S3Calls.guarded(() -> s3.completeMultipart(bucket, key, uploadId, parts));
        } catch (IOException | RuntimeException e) {
            try {
                s3.abortMultipart(bucket, key, uploadId);
            } catch (RuntimeException ignored) {
                // completed already, or gone
            }
            throw e;
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
        if (key.endsWith(".mp3")) {
            return "audio/mpeg";
        }
        if (key.endsWith(".m4a")) {
            return "audio/mp4";
        }
        return "application/octet-stream";
    }
}
