package dev.foley.aws;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/**
 * The S3 calls Foley makes, as signed REST requests ({@link SignedHttp}): presigned GET and PUT
 * links, PutObject, GetObject, HeadObject, CopyObject, ListObjectsV2, DeleteObject and the four
 * calls of a multipart upload. Addressing is virtual-hosted on AWS
 * ({@code https://<bucket>.s3.<region>.amazonaws.com/<key>}) and path-style against a configured
 * endpoint (moto, LocalStack), as the SDK does. Answers are S3's XML, read with the JDK's parser
 * (no DTDs, no external entities).
 */
public final class S3 {

    /** An object's version, ETag and user metadata ({@code x-amz-meta-*}, names lower-cased). */
    public record Head(String versionId, String eTag, long contentLength, Map<String, String> metadata) {
    }

    /** One finished part of a multipart upload. */
    public record Part(int number, String eTag) {
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

    private final SignedHttp http;
    private final Optional<URI> endpoint;

    /** {@code endpoint}: a local endpoint (path-style addressing); empty means AWS. */
    public S3(SignedHttp http, Optional<URI> endpoint) {
        this.http = http;
        this.endpoint = endpoint;
    }

    // ---- links ----

    public String presignGet(String bucket, String key, Duration ttl) {
        return http.presign("s3", "GET", uri(bucket, key, Map.of()), Map.of(), ttl).toString();
    }

    /** A PUT link that S3 honours only with this content type and length (both are in the signature). */
    public String presignPut(String bucket, String key, String contentType, long contentLength, Duration ttl) {
        return http.presign("s3", "PUT", uri(bucket, key, Map.of()),
                Map.of("Content-Type", contentType, "Content-Length", Long.toString(contentLength)), ttl).toString();
    }

    // ---- objects ----

    public void put(String bucket, String key, byte[] body, String contentType) {
        expectOk(http.send("s3", "PUT", uri(bucket, key, Map.of()), Map.of("Content-Type", contentType), body));
    }

    /** The object's bytes, or empty if there is none. */
    public Optional<byte[]> get(String bucket, String key) {
        SignedHttp.Answer a = http.send("s3", "GET", uri(bucket, key, Map.of()), Map.of(), null);
        if (a.status() == 404) {
            return Optional.empty();
        }
        expectOk(a);
        return Optional.of(a.body());
    }

    /** The object's head, or empty if there is none. */
    public Optional<Head> head(String bucket, String key) {
        SignedHttp.Answer a = http.send("s3", "HEAD", uri(bucket, key, Map.of()), Map.of(), null);
        if (a.status() == 404) {
            return Optional.empty();
        }
        expectOk(a);
        Map<String, String> meta = new LinkedHashMap<>();
        a.headers().forEach((name, values) -> {
            if (name.startsWith("x-amz-meta-") && !values.isEmpty()) {
                meta.put(name.substring("x-amz-meta-".length()), values.get(0));
            }
        });
        String length = a.header("content-length");
        return Optional.of(new Head(a.header("x-amz-version-id"), a.header("etag"), length == null ? -1 : Long.parseLong(length),
                meta));
    }

    public void copy(String sourceBucket, String sourceKey, String bucket, String key) {
        String source = "/" + sourceBucket + "/" + encodePath(sourceKey);
        SignedHttp.Answer a = http.send("s3", "PUT", uri(bucket, key, Map.of()), Map.of("x-amz-copy-source", source), null);
        expectOk(a);
        Document d = xml(a.body());
        if (d != null && "Error".equals(d.getDocumentElement().getNodeName())) {
            throw error(a); // CopyObject can answer 200 with an error in the body
        }
    }

    public void delete(String bucket, String key) {
        SignedHttp.Answer a = http.send("s3", "DELETE", uri(bucket, key, Map.of()), Map.of(), null);
        if (a.status() != 404) {
            expectOk(a);
        }
    }

    /** Keys that start with {@code prefix}, at most {@code max}. */
    public List<String> list(String bucket, String prefix, int max) {
        Map<String, String> q = new LinkedHashMap<>();
        q.put("list-type", "2");
        q.put("max-keys", Integer.toString(max));
        q.put("prefix", prefix);
        SignedHttp.Answer a = http.send("s3", "GET", uri(bucket, null, q), Map.of(), null);
        expectOk(a);
        List<String> keys = new ArrayList<>();
        NodeList nodes = xml(a.body()).getElementsByTagName("Key");
        for (int i = 0; i < nodes.getLength(); i++) {
            keys.add(nodes.item(i).getTextContent());
        }
        return keys;
    }

    // ---- multipart ----

    /** Starts a multipart upload; returns its id. */
    public String startMultipart(String bucket, String key, String contentType, Map<String, String> metadata) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Content-Type", contentType);
        metadata.forEach((k, v) -> h.put("x-amz-meta-" + k, v));
        SignedHttp.Answer a = http.send("s3", "POST", uri(bucket, key, Map.of("uploads", "")), h, null);
        expectOk(a);
        return text(xml(a.body()), "UploadId");
    }

    /** Uploads part {@code number} ({@code len} bytes of {@code buf}, whose MD5 is {@code md5Base64}); returns its ETag. */
    public String uploadPart(String bucket, String key, String uploadId, int number, byte[] buf, int len, String md5Base64) {
        SignedHttp.Answer a = http.send("s3", "PUT", uri(bucket, key, Map.of("partNumber", Integer.toString(number), "uploadId", uploadId)),
                Map.of("Content-MD5", md5Base64), buf, 0, len);
        expectOk(a);
        return a.header("etag");
    }

    /** Completes the upload from its parts; returns the object's ETag. */
    public String completeMultipart(String bucket, String key, String uploadId, List<Part> parts) {
        StringBuilder x = new StringBuilder("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
        for (Part p : parts) {
            x.append("<Part><PartNumber>").append(p.number()).append("</PartNumber><ETag>")
                    .append(p.eTag().replace("&", "&amp;").replace("<", "&lt;").replace("\"", "&quot;")).append("</ETag></Part>");
        }
        x.append("</CompleteMultipartUpload>");
        SignedHttp.Answer a = http.send("s3", "POST", uri(bucket, key, Map.of("uploadId", uploadId)),
                Map.of("Content-Type", "application/xml"), x.toString().getBytes(StandardCharsets.UTF_8));
        expectOk(a);
        Document d = xml(a.body());
        if (d != null && "Error".equals(d.getDocumentElement().getNodeName())) {
            throw error(a); // CompleteMultipartUpload can answer 200 with an error in the body
        }
        return text(d, "ETag");
    }

    public void abortMultipart(String bucket, String key, String uploadId) {
        SignedHttp.Answer a = http.send("s3", "DELETE", uri(bucket, key, Map.of("uploadId", uploadId)), Map.of(), null);
        if (a.status() != 404) {
            expectOk(a);
        }
    }

    // ---- addressing ----

    public URI uri(String bucket, String key, Map<String, String> query) {
        StringBuilder u = new StringBuilder();
        if (endpoint.isPresent()) {
            u.append(endpoint.get().toString().replaceAll("/+$", "")).append('/').append(bucket);
        } else {
            // As the SDK addresses it: us-east-1 on S3's global name, every other region on its own.
            String domain = http.region().startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
            u.append("https://").append(bucket).append(".s3.")
                    .append(http.region().equals("us-east-1") ? "" : http.region() + ".").append(domain);
        }
        u.append('/');
        if (key != null) {
            u.append(encodePath(key));
        }
        if (!query.isEmpty()) {
            u.append('?');
            int i = 0;
            for (var e : query.entrySet()) {
                u.append(i++ == 0 ? "" : "&").append(encode(e.getKey()));
                if (!e.getValue().isEmpty()) {
                    u.append('=').append(encode(e.getValue()));
                }
            }
        }
        return URI.create(u.toString());
    }

    /** A key as S3 wants it in a path: every segment percent-encoded (RFC 3986 unreserved kept), slashes kept. */
    static String encodePath(String key) {
        StringBuilder b = new StringBuilder();
        String[] segments = key.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            b.append(i == 0 ? "" : "/").append(encode(segments[i]));
        }
        return b.toString();
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
    }

    private static void expectOk(SignedHttp.Answer a) {
        if (!a.ok()) {
            throw error(a);
        }
    }

    private static RuntimeException error(SignedHttp.Answer a) {
        String code = "";
        String message = "";
        Document d = a.body().length == 0 ? null : xml(a.body());
        if (d != null) {
            code = text(d, "Code");
            message = text(d, "Message");
        }
        if (a.status() >= 500 || a.status() == 429 || "SlowDown".equals(code)) {
            return new SignedHttp.UnavailableException("S3 answered " + a.status() + " " + code, a.status(), null);
        }
        return new S3Exception(a.status(), code, message);
    }

    private static String text(Document d, String tag) {
        if (d == null) {
            return "";
        }
        NodeList n = d.getElementsByTagName(tag);
        return n.getLength() == 0 ? "" : n.item(0).getTextContent();
    }

    static Document xml(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setExpandEntityReferences(false);
            f.setNamespaceAware(false);
            return f.newDocumentBuilder().parse(new ByteArrayInputStream(body));
        } catch (Exception e) {
            throw new SignedHttp.UnavailableException("S3 answered something that is not XML", 0, e);
        }
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
