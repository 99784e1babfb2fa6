package dev.foley.aws;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;

/**
 * AWS calls made with the SDK's own SigV4 signer ({@code http-auth-aws}, which every zip carries
 * for DynamoDB anyway) and the JDK's HTTP client, instead of a whole SDK module per service: the
 * S3, Lambda and SSM modules would add 13 MB to zips that use a handful of their calls. Requests
 * are signed over their payload; failures of the service (5xx, throttling) and of the connection
 * are retried three times with jittered backoff.
 */
public final class SignedHttp {

    /** What the service answered. */
    public record Answer(int status, Map<String, List<String>> headers, byte[] body) {
        public String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null || v.isEmpty() ? null : v.get(0);
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    /** The service could not be reached, or kept failing; {@code status} is 0 for a connection failure. */
    public static final class UnavailableException extends RuntimeException {
        private final int status;

        public UnavailableException(String message, int status, Throwable cause) {
            super(message, cause);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    static final int ATTEMPTS = 3;
    // The JDK's HTTP client sets these itself, from the URI and the body.
    private static final Set<String> RESTRICTED = Set.of("host", "content-length", "connection", "expect", "upgrade");

    private final AwsCredentialsProvider credentials;
    private final String region;
    private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();
    private final HttpClient http;
    private final Duration timeout;

    public SignedHttp(AwsCredentialsProvider credentials, String region, Duration connectTimeout, Duration timeout) {
        this.credentials = credentials;
        this.region = region;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    public String region() {
        return region;
    }

    /** A signed request to {@code service}; {@code body} may be null (no body). */
    public Answer send(String service, String method, URI uri, Map<String, String> headers, byte[] body) {
        return send(service, method, uri, headers, body, 0, body == null ? 0 : body.length);
    }

    /** The same with {@code len} bytes of {@code buf} from {@code off} as the body (a multipart part, say). */
    public Answer send(String service, String method, URI uri, Map<String, String> headers, byte[] buf, int off, int len) {
        RuntimeException last = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            if (attempt > 0) {
                backOff(attempt);
            }
            try {
                HttpRequest request = signed(service, method, uri, headers, buf, off, len);
                HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                Answer a = new Answer(r.statusCode(), lower(r.headers().map()), r.body());
                if ((a.status() >= 500 || a.status() == 429) && attempt + 1 < ATTEMPTS) {
                    last = new UnavailableException(service + " answered " + a.status(), a.status(), null);
                    continue;
                }
                return a;
            } catch (IOException e) {
                last = new UnavailableException(service + " could not be reached: " + e.getClass().getSimpleName(), 0, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UnavailableException(service + ": interrupted", 0, e);
            }
        }
        throw last;
    }

    /** A presigned URL: {@code method} on {@code uri} with {@code headers} bound into the signature, valid for {@code ttl}. */
    public URI presign(String service, String method, URI uri, Map<String, String> headers, Duration ttl) {
        SdkHttpRequest.Builder b = SdkHttpRequest.builder().method(SdkHttpMethod.fromValue(method)).uri(uri);
        headers.forEach(b::putHeader);
        var signed = signer.sign(r -> r.identity(credentials.resolveCredentials())
                .request(b.build())
                .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, service)
                .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                .putProperty(AwsV4FamilyHttpSigner.AUTH_LOCATION, AwsV4FamilyHttpSigner.AuthLocation.QUERY_STRING)
                .putProperty(AwsV4FamilyHttpSigner.EXPIRATION_DURATION, ttl)
                .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false)
                .putProperty(AwsV4FamilyHttpSigner.DOUBLE_URL_ENCODE, !service.equals("s3"))
                .putProperty(AwsV4FamilyHttpSigner.NORMALIZE_PATH, !service.equals("s3")));
        return signed.request().getUri();
    }

    private HttpRequest signed(String service, String method, URI uri, Map<String, String> headers, byte[] buf, int off, int len) {
        SdkHttpRequest.Builder b = SdkHttpRequest.builder().method(SdkHttpMethod.fromValue(method)).uri(uri);
        headers.forEach(b::putHeader);
        if (buf != null) {
            b.putHeader("Content-Length", Integer.toString(len));
        }
        if (service.equals("s3")) {
            b.putHeader("x-amz-content-sha256", sha256Hex(buf, off, len)); // S3 wants the payload's hash on every request
        }
        ContentStreamProvider payload = buf == null ? null : () -> new java.io.ByteArrayInputStream(buf, off, len);
        var signed = signer.sign(r -> r.identity(credentials.resolveCredentials())
                .request(b.build())
                .payload(payload)
                .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, service)
                .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                .putProperty(AwsV4FamilyHttpSigner.DOUBLE_URL_ENCODE, !service.equals("s3"))
                .putProperty(AwsV4FamilyHttpSigner.NORMALIZE_PATH, !service.equals("s3")));
        HttpRequest.Builder out = HttpRequest.newBuilder(signed.request().getUri()).timeout(timeout);
        signed.request().forEachHeader((name, values) -> {
            if (!RESTRICTED.contains(name.toLowerCase(Locale.ROOT))) {
                values.forEach(v -> out.header(name, v));
            }
        });
        HttpRequest.BodyPublisher body = buf == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(buf, off, len);
        return out.method(method, body).build();
    }

    static String sha256Hex(byte[] buf, int off, int len) {
        try {
            var md = java.security.MessageDigest.getInstance("SHA-256");
            if (buf != null) {
                md.update(buf, off, len);
            }
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, List<String>> lower(Map<String, List<String>> headers) {
        Map<String, List<String>> out = new java.util.HashMap<>();
        headers.forEach((k, v) -> out.put(k.toLowerCase(Locale.ROOT), v));
        return out;
    }

    private static void backOff(int attempt) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(50L << attempt, 200L << attempt));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
