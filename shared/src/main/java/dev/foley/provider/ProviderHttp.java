package dev.foley.provider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.json.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one HTTP path to providers: a timeout on every call, bounded retries with exponential
 * backoff and full jitter, {@code Retry-After} honoured, and every failure classified. A request
 * that is not idempotent (a submit) is retried freely only when it cannot have reached the
 * provider (connection refused) or was answered with a retryable status; when it may have
 * created a job (a timeout or a dropped connection after sending) it is retried at most once.
 */
public final class ProviderHttp {

    /** How hard to try one call. */
    public record Policy(int maxAttempts, Duration baseDelay, Duration maxDelay, Duration timeout) {
        /**
         * A submit runs inside the API's request (API Gateway cuts at 30 s, the function at 29 s):
         * two tries of 10 s at most, then the prediction stays accepted and the poller tries again.
         */
        public static final Policy SUBMIT = new Policy(2, Duration.ofMillis(200), Duration.ofSeconds(2), Duration.ofSeconds(10));
        public static final Policy READ = new Policy(3, Duration.ofMillis(200), Duration.ofSeconds(2), Duration.ofSeconds(8));
    }

    /** The policies of one provider: for its submits, and for its reads and cancels. */
    public record Policies(Policy submit, Policy read) {
        public static final Policies DEFAULT = new Policies(Policy.SUBMIT, Policy.READ);
    }

    /** A 2xx answer. */
    public record Response(int status, HttpHeaders headers, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final HttpClient client;

    public ProviderHttp(Duration connectTimeout) {
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    public static ProviderHttp standard() {
        return new ProviderHttp(Duration.ofSeconds(5));
    }

    /** Sends {@code request} (built afresh per attempt) and returns the first 2xx answer. */
    public Response call(String provider, java.util.function.Supplier<HttpRequest.Builder> request, boolean idempotent,
            Policy policy) throws ProviderException {
        List<String> attempts = new ArrayList<>();
        boolean maybeCreated = false;
        int limit = policy.maxAttempts();
        ProviderException last = null;
        for (int attempt = 0; attempt < limit; attempt++) {
            long t0 = System.nanoTime();
            HttpRequest req = request.get().timeout(policy.timeout()).build();
            String what = req.method() + " " + req.uri().getPath();
            try {
                HttpResponse<byte[]> r = client.send(req, HttpResponse.BodyHandlers.ofByteArray());
                long ms = (System.nanoTime() - t0) / 1_000_000;
                attempts.add(provider + " " + what + " -> " + r.statusCode() + " in " + ms + " ms");
                int s = r.statusCode();
                if (s >= 200 && s < 300) {
                    return new Response(s, r.headers(), r.body());
                }
                Optional<Duration> retryAfter = retryAfter(r.headers());
                String msg = provider + " answered " + s + ": " + errorText(r.body());
                if (s == 401 || s == 403) {
                    throw new ProviderException(ProviderException.Kind.CONFIGURATION,
                            provider + " refused our credentials (" + s + "): check its API key", s, Optional.empty(),
                            maybeCreated, attempts);
                }
                if (s != 408 && s != 429 && s < 500) {
                    throw new ProviderException(ProviderException.Kind.REJECTED, msg, s, Optional.empty(), maybeCreated, attempts);
                }
                last = new ProviderException(ProviderException.Kind.RETRYABLE, msg, s, retryAfter, maybeCreated, attempts);
                if (retryAfter.isPresent() && retryAfter.get().compareTo(policy.maxDelay()) > 0) {
                    throw last; // longer than this call may wait: the caller schedules the retry
                }
                sleep(retryAfter, policy, attempt, limit);
            } catch (IOException | UnresolvedAddressException e) {
                long ms = (System.nanoTime() - t0) / 1_000_000;
                boolean notSent = e instanceof ConnectException || e instanceof HttpConnectTimeoutException
                        || e instanceof UnresolvedAddressException || e.getCause() instanceof ConnectException
                        || e.getCause() instanceof UnresolvedAddressException;
                String why = e instanceof HttpTimeoutException && !notSent ? "no answer within " + policy.timeout().toSeconds() + " s"
                        : notSent ? "could not connect" : "connection dropped (" + e.getClass().getSimpleName() + ")";
                attempts.add(provider + " " + what + " -> " + why + " after " + ms + " ms"
                        + (!notSent && !idempotent ? " (request sent: a job may exist)" : ""));
                if (!notSent && !idempotent && !maybeCreated) {
                    maybeCreated = true;
                    limit = Math.min(limit, attempt + 2); // a job may exist: one more attempt at most
                }
                last = new ProviderException(ProviderException.Kind.RETRYABLE, provider + ": " + why, 0, Optional.empty(),
                        maybeCreated, attempts);
                sleep(Optional.empty(), policy, attempt, limit);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ProviderException(ProviderException.Kind.RETRYABLE, provider + ": interrupted", 0, Optional.empty(),
                        maybeCreated, attempts);
            }
        }
        throw last.withAttempts(attempts);
    }

    /**
     * An idempotent GET whose non-2xx answers the caller reads itself (fal's result GET carries a
     * job's failure in its status). Answers {@code final} accepts are returned at once; others,
     * and connection failures, are retried with backoff; the last answer is returned.
     */
    public HttpResponse<byte[]> getRaw(String provider, java.util.function.Supplier<HttpRequest.Builder> request,
            Policy policy, java.util.function.Predicate<HttpResponse<byte[]>> isFinal) throws ProviderException {
        ProviderException last = null;
        for (int attempt = 0; attempt < policy.maxAttempts(); attempt++) {
            try {
                HttpResponse<byte[]> r = client.send(request.get().timeout(policy.timeout()).GET().build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (isFinal.test(r) || attempt + 1 >= policy.maxAttempts()) {
                    return r;
                }
                sleep(retryAfter(r.headers()), policy, attempt, policy.maxAttempts());
            } catch (IOException | UnresolvedAddressException e) {
                last = ProviderException.retryable(provider + ": " + e.getClass().getSimpleName() + " on GET");
                sleep(Optional.empty(), policy, attempt, policy.maxAttempts());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw ProviderException.retryable(provider + ": interrupted");
            }
        }
        throw last;
    }

    /** {@code base} + {@code path}, keeping any path prefix of the base (a proxy's, say). */
    public static java.net.URI join(java.net.URI base, String path) {
        return java.net.URI.create(base.toString().replaceAll("/+$", "") + path);
    }

    /** Parses a 2xx body; garbage there is retryable (and, for a submit, may hide a created job). */
    public static JsonNode json(String provider, Response r, boolean maybeCreated) throws ProviderException {
        try {
            return Json.MAPPER.readTree(r.body());
        } catch (IOException | RuntimeException e) {
            throw new ProviderException(ProviderException.Kind.RETRYABLE,
                    provider + " answered " + r.status() + " with a body that is not JSON", r.status(), Optional.empty(),
                    maybeCreated, List.of());
        }
    }

    private static void sleep(Optional<Duration> retryAfter, Policy policy, int attempt, int limit) throws ProviderException {
        if (attempt + 1 >= limit) {
            return;
        }
        long cap = Math.min(policy.maxDelay().toMillis(), policy.baseDelay().toMillis() << Math.min(attempt, 20));
        long delay = ThreadLocalRandom.current().nextLong(cap + 1); // full jitter
        if (retryAfter.isPresent()) {
            delay = Math.max(delay, retryAfter.get().toMillis());
        }
        try {
            Thread.sleep(delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ProviderException.retryable("interrupted while backing off");
        }
    }

    static Optional<Duration> retryAfter(HttpHeaders h) {
        Optional<String> v = h.firstValue("retry-after");
        if (v.isEmpty()) {
            return Optional.empty();
        }
        String s = v.get().strip();
        try {
            return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(s))));
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(s, DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (RuntimeException bad) {
                return Optional.empty();
            }
        }
    }

    /** The provider's own words for an error: {@code message}, {@code detail} or {@code error}, else the text. */
    static String errorText(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8).strip();
        try {
            JsonNode n = Json.MAPPER.readTree(body);
            if (n != null && n.isObject()) {
                for (String f : new String[] {"detail", "message", "error"}) {
                    JsonNode v = n.get(f);
                    if (v == null || v.isNull()) {
                        continue;
                    }
                    if (v.isTextual() && !v.asText().isBlank()) {
                        return clip(v.asText());
                    }
                    if (v.isArray() && !v.isEmpty()) { // fal/FastAPI 422: [{loc, msg, type}]
                        List<String> parts = new ArrayList<>();
                        for (JsonNode d : v) {
                            String loc = d.path("loc").isArray() && !d.path("loc").isEmpty()
                                    ? d.path("loc").get(d.path("loc").size() - 1).asText() : "";
                            parts.add((loc.isEmpty() ? "" : loc + ": ") + d.path("msg").asText(d.toString()));
                        }
                        return clip(String.join("; ", parts));
                    }
                }
            }
        } catch (IOException | RuntimeException notJson) {
            // fall through to the text
        }
        return text.isEmpty() ? "(empty body)" : clip(text);
    }

    private static String clip(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
