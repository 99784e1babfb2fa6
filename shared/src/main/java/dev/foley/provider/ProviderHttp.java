package dev.foley.provider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.json.Json;
import dev.foley.time.Deadline;
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
 * backoff and full jitter, {@code Retry-After} honoured, every failure classified, and nothing
 * past the caller's deadline ({@code until}: a lease's end, an API request's budget). A request
 * that is not idempotent (a submit) is retried here only when it cannot have made a job: the
 * connection was refused, or the provider answered 408, 429, 500 or 503. When it may have made one
 * (no answer in time, a dropped connection after sending, a gateway's 502 or 504) it is not retried
 * here at all: the caller records that first, and a prediction retries such a submit at most once
 * in its life.
 */
public final class ProviderHttp {

    /** How hard to try one call. */
    public record Policy(int maxAttempts, Duration baseDelay, Duration maxDelay, Duration timeout) {
        /**
         * A submit: up to a minute for the answer, cut by the caller's deadline (an API request's
         * 22 s, a poller's lease), so a slow provider still answers a retry made off the request
         * path; a second try within the call only when the first surely made no job.
         */
        public static final Policy SUBMIT = new Policy(2, Duration.ofMillis(200), Duration.ofSeconds(2), Duration.ofSeconds(60));
        public static final Policy READ = new Policy(3, Duration.ofMillis(200), Duration.ofSeconds(2), Duration.ofSeconds(8));
    }

    /** The policies of one provider: for its submits, and for its reads and cancels. */
    public record Policies(Policy submit, Policy read) {
        public static final Policies DEFAULT = new Policies(Policy.SUBMIT, Policy.READ);

        /**
         * A cancel: one call, no retry inside it. A round of cancels that fails is tried again at
         * the pipeline's own backoff step, so a provider that is down gets one call per step.
         */
        public Policy cancel() {
            return new Policy(1, read.baseDelay(), read.maxDelay(), read.timeout());
        }
    }

    /** A 2xx answer. */
    public record Response(int status, HttpHeaders headers, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** No attempt is started with less time than this left before the deadline. */
    static final Duration MIN_ATTEMPT = Duration.ofMillis(500);

    private final HttpClient client;
    private final java.time.Clock clock;
    private final dev.foley.time.Sleeper sleeper;

    public ProviderHttp(Duration connectTimeout) {
        this(connectTimeout, java.time.Clock.systemUTC(), dev.foley.time.Sleeper.of(java.time.Clock.systemUTC()));
    }

    /** Backs off between attempts through {@code sleeper} (a test's moves its clock), on {@code clock}'s time. */
    public ProviderHttp(Duration connectTimeout, java.time.Clock clock, dev.foley.time.Sleeper sleeper) {
        this.clock = clock;
        this.sleeper = sleeper;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    public static ProviderHttp standard() {
        return new ProviderHttp(Duration.ofSeconds(5));
    }

    /** The standard client, waiting through {@code sleeper}. */
    public static ProviderHttp standard(java.time.Clock clock, dev.foley.time.Sleeper sleeper) {
        return new ProviderHttp(Duration.ofSeconds(5), clock, sleeper);
    }

    /** Sends {@code request} (built afresh per attempt) and returns the first 2xx answer; no deadline but the policy's. */
    public Response call(String provider, java.util.function.Supplier<HttpRequest.Builder> request, boolean idempotent,
            Policy policy) throws ProviderException {
        return call(provider, request, idempotent, policy, Deadline.NONE);
    }

    /** The same, never running past {@code until}. */
    public Response call(String provider, java.util.function.Supplier<HttpRequest.Builder> request, boolean idempotent,
            Policy policy, Deadline until) throws ProviderException {
        List<String> attempts = new ArrayList<>();
        ProviderException last = null;
        for (int attempt = 0; attempt < policy.maxAttempts(); attempt++) {
            Duration timeout = timeoutFor(policy, until);
            if (timeout == null) {
                attempts.add(provider + ": out of time for another attempt");
                break;
            }
            long t0 = System.nanoTime();
            HttpRequest req = request.get().timeout(timeout).build();
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
                String text = errorText(r.body());
                String msg = provider + " answered " + s + ": " + text;
                if (s == 401 || s == 403) {
                    throw new ProviderException(ProviderException.Kind.CONFIGURATION,
                            provider + " refused our credentials (" + s + "): check its API key", s, Optional.empty(),
                            false, attempts);
                }
                if ((s == 404 || s == 410) && idempotent) {
                    throw new ProviderException(ProviderException.Kind.NOT_FOUND, msg, s, Optional.empty(), false, attempts);
                }
                if (s != 408 && s != 429 && s < 500) {
                    throw new ProviderException(ProviderException.Kind.REJECTED, msg, s, Optional.empty(), false, attempts,
                            ProviderErrors.rejected(s, text));
                }
                // A gateway's 502/504 may hide a request the provider went on to act on.
                boolean maybeCreated = !idempotent && (s == 502 || s == 504);
                last = new ProviderException(ProviderException.Kind.RETRYABLE, msg, s, retryAfter, maybeCreated, attempts);
                if (maybeCreated || (retryAfter.isPresent() && retryAfter.get().compareTo(policy.maxDelay()) > 0)) {
                    throw last; // not ours to retry (a job may exist), or longer than this call may wait
                }
                sleep(retryAfter, policy, attempt, until);
            } catch (IOException | UnresolvedAddressException e) {
                long ms = (System.nanoTime() - t0) / 1_000_000;
                boolean notSent = e instanceof ConnectException || e instanceof HttpConnectTimeoutException
                        || e instanceof UnresolvedAddressException || e.getCause() instanceof ConnectException
                        || e.getCause() instanceof UnresolvedAddressException;
                String why = e instanceof HttpTimeoutException && !notSent ? "no answer within " + timeout.toMillis() + " ms"
                        : notSent ? "could not connect" : "connection dropped (" + e.getClass().getSimpleName() + ")";
                boolean maybeCreated = !notSent && !idempotent;
                attempts.add(provider + " " + what + " -> " + why + " after " + ms + " ms"
                        + (maybeCreated ? " (request sent: a job may exist)" : ""));
                last = new ProviderException(ProviderException.Kind.RETRYABLE, provider + ": " + why, 0, Optional.empty(),
                        maybeCreated, attempts);
                if (maybeCreated) {
                    throw last;
                }
                sleep(Optional.empty(), policy, attempt, until);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ProviderException(ProviderException.Kind.RETRYABLE, provider + ": interrupted", 0, Optional.empty(),
                        !idempotent, attempts);
            }
        }
        if (last == null) {
            last = ProviderException.retryable(provider + ": out of time before the call could be made");
        }
        throw last.withAttempts(attempts);
    }

    /** The timeout for the next attempt: the policy's, cut to what is left before {@code until}; null when too little is left. */
    static Duration timeoutFor(Policy policy, Deadline until) {
        Duration left = until.remaining();
        if (left.compareTo(MIN_ATTEMPT) < 0) {
            return null;
        }
        return left.compareTo(policy.timeout()) < 0 ? left : policy.timeout();
    }

    /**
     * An idempotent GET whose non-2xx answers the caller reads itself (fal's result GET carries a
     * job's failure in its status). Answers {@code final} accepts are returned at once; others,
     * and connection failures, are retried with backoff; the last answer is returned.
     */
    public HttpResponse<byte[]> getRaw(String provider, java.util.function.Supplier<HttpRequest.Builder> request,
            Policy policy, Deadline until, java.util.function.Predicate<HttpResponse<byte[]>> isFinal) throws ProviderException {
        ProviderException last = ProviderException.retryable(provider + ": out of time before the GET could be made");
        for (int attempt = 0; attempt < policy.maxAttempts(); attempt++) {
            Duration timeout = timeoutFor(policy, until);
            if (timeout == null) {
                break;
            }
            try {
                HttpResponse<byte[]> r = client.send(request.get().timeout(timeout).GET().build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (isFinal.test(r) || attempt + 1 >= policy.maxAttempts()) {
                    return r;
                }
                sleep(retryAfter(r.headers()), policy, attempt, until);
            } catch (IOException | UnresolvedAddressException e) {
                last = ProviderException.retryable(provider + ": " + e.getClass().getSimpleName() + " on GET");
                sleep(Optional.empty(), policy, attempt, until);
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

    private void sleep(Optional<Duration> retryAfter, Policy policy, int attempt, Deadline until) throws ProviderException {
        if (attempt + 1 >= policy.maxAttempts()) {
            return;
        }
        long cap = Math.min(policy.maxDelay().toMillis(), policy.baseDelay().toMillis() << Math.min(attempt, 20));
        long delay = ThreadLocalRandom.current().nextLong(cap + 1); // full jitter
        if (retryAfter.isPresent()) {
            delay = Math.max(delay, retryAfter.get().toMillis());
        }
        delay = Math.min(delay, Math.max(0, until.remaining().minus(MIN_ATTEMPT).toMillis()));
        try {
            sleeper.sleepUntil(clock.instant().plusMillis(delay));
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
