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
 * The two small AWS calls Foley makes without their SDK modules: Lambda's async invoke (a hand-off
 * to the completion or media function) and SSM's GetParametersByPath (the provider keys, once at
 * start-up). Each is one JSON POST; the Lambda and SSM modules would add about 5 MB to every zip
 * (and their start-up) for it. Signed with the SDK's own SigV4 signer ({@code http-auth-aws}, which
 * every zip carries for DynamoDB and S3 anyway) over the JDK's HTTP client. Failures of the service
 * (5xx, throttling) and of the connection are retried three times with jittered backoff, waiting
 * through the injected sleeper. S3 goes through the SDK's own client ({@link S3}).
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
    private final java.time.Clock clock;
    private final dev.foley.time.Sleeper sleeper;

    public SignedHttp(AwsCredentialsProvider credentials, String region, Duration connectTimeout, Duration timeout) {
        this(credentials, region, connectTimeout, timeout, java.time.Clock.systemUTC(), dev.foley.time.Sleeper.of(java.time.Clock.systemUTC()));
    }

    /** The same, waiting between attempts through {@code sleeper} on {@code clock} (a test's moves its clock). */
    public SignedHttp(AwsCredentialsProvider credentials, String region, Duration connectTimeout, Duration timeout,
            java.time.Clock clock, dev.foley.time.Sleeper sleeper) {
        this.credentials = credentials;
        this.region = region;
        this.timeout = timeout;
        this.clock = clock;
        this.sleeper = sleeper;
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

    /** Waits before attempt {@code attempt} (50-200 ms, doubling), through the sleeper. */
    private void backOff(int attempt) {
        try {
            sleeper.sleepUntil(clock.instant().plusMillis(ThreadLocalRandom.current().nextLong(50L << attempt, 200L << attempt)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
