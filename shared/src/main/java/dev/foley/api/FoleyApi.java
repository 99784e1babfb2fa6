package dev.foley.api;

import dev.foley.prediction.FieldError;
import dev.foley.key.ApiKey;
import dev.foley.store.StoreUnavailableException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import dev.foley.view.Envelope;

/**
 * The HTTP API: routes, auth, and the one place errors become responses. Handlers (Lambda or
 * local) only translate their event into an {@link ApiRequest}; the routes' rules live in
 * {@link SubmitRoute}, {@link PredictionRoutes}, {@link AccountRoutes} and {@link CallbackRoute}.
 */
public final class FoleyApi {

    public static final String SUBMIT_VIDEO = "/api/v3/wavespeed-ai/mmaudio-v2";
    public static final String SUBMIT_TEXT = "/api/v3/wavespeed-ai/mmaudio-v2/text-to-audio";
    /** Foley's own model path: videos up to 10 minutes, cut into windows (the hosted SDKs' {@code run('foley/mmaudio-v2-long', …)}). */
    public static final String SUBMIT_LONG = "/api/v3/foley/mmaudio-v2-long";
    static final String PREDICTIONS = "/api/v3/predictions";
    static final String CALLBACKS = "/internal/callbacks/{provider}/{id}";
    private static final dev.foley.obs.Log.Logger LOG = dev.foley.obs.Log.logger("foley.api");

    /** A route: method and path pattern ({@code {name}} matches one segment). */
    public record Route(String method, String pattern) {
        boolean matches(String[] segments) {
            String[] p = pattern.equals("/") ? new String[] {""} : pattern.split("/");
            if (p.length != segments.length) {
                return false;
            }
            for (int i = 0; i < p.length; i++) {
                if (!p[i].startsWith("{") && !p[i].equals(segments[i])) {
                    return false;
                }
            }
            return true;
        }
    }

    /** A model's submit path: what it makes ({@code kind}) with which model ({@code model}; null: MMAudio v2's own paths). */
    record Submit(dev.foley.prediction.Kind kind, String model) {
    }

    /** Every model's submit paths, from the registry: its hosted path and, for a video model, its long path. */
    static final Map<String, Submit> SUBMITS = submits();

    private static Map<String, Submit> submits() {
        Map<String, Submit> out = new java.util.LinkedHashMap<>();
        for (dev.foley.model.Model m : dev.foley.model.Models.ALL) {
            boolean mmaudio = m.equals(dev.foley.model.Models.MMAUDIO_V2) || m.equals(dev.foley.model.Models.MMAUDIO_V2_TEXT);
            String model = mmaudio ? null : m.id();
            out.put("/api/v3/" + m.id(), new Submit("text".equals(m.input()) ? dev.foley.prediction.Kind.TEXT
                    : dev.foley.prediction.Kind.VIDEO, model));
            m.longPath().ifPresent(l -> out.put("/api/v3/" + l, new Submit(dev.foley.prediction.Kind.LONG, model)));
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    /** Every route this API serves (the OpenAPI document and the SAM template are checked against it). */
    public static final List<Route> ROUTES = java.util.stream.Stream.of(List.of(
            new Route("GET", "/"),
            new Route("GET", "/playground/{file}"),
            new Route("GET", "/health"),
            new Route("GET", "/openapi.yaml"),
            new Route("GET", "/openapi.json")),
            SUBMITS.keySet().stream().map(path -> new Route("POST", path)).toList(), List.of(
            new Route("GET", PREDICTIONS),
            new Route("GET", PREDICTIONS + "/{id}"),
            new Route("GET", PREDICTIONS + "/{id}/result"),
            new Route("POST", PREDICTIONS),
            new Route("DELETE", PREDICTIONS + "/{id}"),
            new Route("POST", PREDICTIONS + "/{id}/cancel"),
            new Route("POST", PREDICTIONS + "/{id}/regenerate"),
            new Route("GET", "/api/v3/webhook/secret"),
            new Route("GET", "/api/v3/usage"),
            new Route("GET", "/api/v3/balance"),
            new Route("GET", "/api/v3/models"),
            new Route("POST", "/api/v3/media/uploads"),
            new Route("POST", "/api/v3/media/upload/binary"),
            new Route("POST", CALLBACKS))).flatMap(List::stream).toList();

    private final KeyAuthenticator auth;
    private final SubmitRoute submit;
    private final PredictionRoutes predictions;
    private final AccountRoutes account;
    private final CallbackRoute callbacks;
    private final MediaRoutes media;
    private final PlaygroundRoutes playground;
    private final ModelRoutes models;

    public FoleyApi(KeyAuthenticator auth, SubmitRoute submit, PredictionRoutes predictions, AccountRoutes account,
            CallbackRoute callbacks, MediaRoutes media, PlaygroundRoutes playground, ModelRoutes models) {
        this.models = models;
        this.media = media;
        this.playground = playground;
        this.auth = auth;
        this.submit = submit;
        this.predictions = predictions;
        this.account = account;
        this.callbacks = callbacks;
    }

    /**
     * Browsers may call the API from other origins (a web app of yours): auth is a bearer key,
     * never a cookie, so any origin may read the answers it is given a key for.
     */
    static final Map<String, String> CORS = Map.of(
            "access-control-allow-origin", "*",
            "access-control-allow-methods", "GET, POST, DELETE, OPTIONS",
            "access-control-allow-headers", "authorization, content-type, idempotency-key, x-client-name, x-client-version, x-client-os",
            "access-control-max-age", "3600");

    /** The query parameters each API route reads; any other is a 400 naming it (a typo must not silently drop a webhook). */
    static final Map<String, List<String>> QUERY = query();

    private static Map<String, List<String>> query() {
        Map<String, List<String>> q = new HashMap<>();
        SUBMITS.keySet().forEach(path -> q.put(path, List.of("webhook")));
        q.put("GET " + PREDICTIONS, List.of("limit", "cursor"));
        q.put(PREDICTIONS + "/{id}/regenerate", List.of("webhook"));
        q.put("/api/v3/usage", List.of("from", "to"));
        return Map.copyOf(q);
    }

    private static void checkQuery(Route route, ApiRequest req) throws ApiException {
        if (!route.pattern().startsWith("/api/") || req.rawQuery() == null || req.rawQuery().isEmpty()) {
            return; // static files and provider callbacks: a query changes nothing there
        }
        List<String> known = QUERY.getOrDefault(route.pattern(), QUERY.getOrDefault(route.method() + " " + route.pattern(), List.of()));
        List<FieldError> errors = new ArrayList<>();
        for (String name : QueryString.parse(req.rawQuery()).keySet()) {
            if (!known.contains(name)) {
                String near = known.stream().filter(k -> closeTo(name, k)).findFirst().map(k -> "; did you mean " + k + "?").orElse("");
                errors.add(new FieldError("query " + shorten(name, 40), "unknown parameter" + near
                        + (known.isEmpty() ? " (this route takes none)" : " (this route takes " + String.join(", ", known) + ")")));
            }
        }
        if (!errors.isEmpty()) {
            throw new ApiException(400, errors.stream().map(e -> e.field() + ": " + e.reason()).reduce((x, y) -> x + "; " + y).orElseThrow(),
                    errors, Map.of());
        }
    }

    /** One edit apart, or a prefix: what a typo looks like. */
    private static boolean closeTo(String a, String b) {
        if (a.length() < 3) {
            return false;
        }
        if (b.startsWith(a) || a.startsWith(b)) {
            return true;
        }
        int i = 0;
        while (i < a.length() && i < b.length() && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        return a.substring(Math.min(a.length(), i + 1)).equals(b.substring(Math.min(b.length(), i)))
                || a.substring(Math.min(a.length(), i)).equals(b.substring(Math.min(b.length(), i + 1)))
                || a.substring(Math.min(a.length(), i + 1)).equals(b.substring(Math.min(b.length(), i + 1)));
    }

    /** An internal marker on a response that no other origin may read (it is removed before sending). */
    static final String SAME_ORIGIN_ONLY = "x-foley-same-origin-only";

    public ApiResponse handle(ApiRequest req) {
        String[] route = {"unrouted"};
        ApiResponse r = answer(req, route);
        var h = new HashMap<>(r.headers());
        // Every answer names its request: the id in an error envelope, and in the log line below.
        h.putIfAbsent("x-request-id", req.requestId());
        dev.foley.obs.Metrics.put(dev.foley.obs.Metrics.Metric.ApiResponses, 1, "Route", route[0], "StatusClass", r.status() / 100 + "xx");
        if (r.status() >= 400) {
            LOG.event(r.status() >= 500 ? Level.ERROR : Level.INFO, req.method() + " " + route[0] + " answered " + r.status(),
                    Map.of("status", r.status(), "route", route[0], "correlation_id", String.valueOf(req.requestId())));
        }
        if (h.remove(SAME_ORIGIN_ONLY) == null) {
            h.putIfAbsent("access-control-allow-origin", "*");
        }
        // No answer is ever sniffed into another type (a JSON error rendered as HTML, say).
        h.putIfAbsent("x-content-type-options", "nosniff");
        return new ApiResponse(r.status(), Map.copyOf(h), r.body());
    }

    private ApiResponse answer(ApiRequest req, String[] routeOut) {
        try {
            return route(req, routeOut);
        } catch (ApiException e) {
            var r = ApiResponse.json(e.status(), Envelope.error(e.status(), e.getMessage(), e.errors(), req.requestId()));
            if (e.headers().isEmpty()) {
                return r;
            }
            var h = new HashMap<>(r.headers());
            h.putAll(e.headers());
            return new ApiResponse(r.status(), Map.copyOf(h), r.body());
        } catch (StoreUnavailableException e) {
            LOG.log(Level.WARNING, "request {0}: store unavailable: {1}", req.requestId(), e.getMessage());
            return new ApiResponse(503, Map.of("content-type", "application/json", "retry-after", "1"),
                    Envelope.error(503, "temporarily unavailable, please retry (request id " + req.requestId() + ")",
                            List.of(), req.requestId()));
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "request " + req.requestId() + " failed", e);
            return ApiResponse.json(500, Envelope.error(500, "internal error (request id " + req.requestId() + ")",
                    List.of(), req.requestId()));
        }
    }

    private ApiResponse route(ApiRequest req, String[] routeOut) throws ApiException {
        String path = req.path() == null || req.path().isEmpty() ? "/" : req.path();
        if (path.length() > 1 && path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        String[] segments = path.equals("/") ? new String[] {""} : path.split("/");
        List<String> allowed = new ArrayList<>();
        Route matched = null;
        for (Route r : ROUTES) {
            if (r.matches(segments)) {
                allowed.add(r.method());
                if (r.method().equals(req.method())) {
                    matched = r;
                }
            }
        }
        if (matched == null && "OPTIONS".equals(req.method()) && !allowed.isEmpty()) {
            return new ApiResponse(204, CORS, ""); // a CORS preflight
        }
        if (matched == null) {
            if (allowed.isEmpty()) {
                throw new ApiException(404, "no such route: " + shorten(req.method() + " " + path, 120));
            }
            throw new ApiException(405, "method " + shorten(req.method(), 16) + " not allowed on " + shorten(path, 100)
                    + "; allowed: " + String.join(", ", allowed), List.of(), Map.of("allow", String.join(", ", allowed)));
        }
        routeOut[0] = matched.method() + " " + matched.pattern();
        checkQuery(matched, req);
        switch (matched.pattern()) {
            case "/health":
                return ApiResponse.json(200, "{\"status\":\"ok\"}");
            case "/openapi.yaml":
                return new ApiResponse(200, Map.of("content-type", "application/yaml; charset=utf-8"), OpenApi.TEXT);
            case "/openapi.json":
                return playground.openApiJson();
            case "/":
                return playground.file("index.html");
            case "/playground/{file}":
                return segments[2].equals("config.json") ? playground.config(req) : playground.file(segments[2]);
            case CALLBACKS:
                // Providers sign their callbacks; they carry no API key.
                return callbacks.handle(segments[3], segments[4], req);
            default:
                break;
        }
        ApiKey key = authenticate(req);
        var over = auth.overRate(key);
        if (over.isPresent()) {
            long seconds = Math.max(1, (over.get().retryIn().toMillis() + 999) / 1000);
            throw new ApiException(429, "rate limit: this key allows " + over.get().limits().rateText().replace("/s", " requests per second")
                    .replace("/min", " requests per minute") + "; retry after " + seconds + " s", List.of(),
                    Map.of("retry-after", Long.toString(seconds)));
        }
        String base = BaseUrl.of(req, submit.publicBaseUrl());
        Submit to = matched.method().equals("POST") ? SUBMITS.get(matched.pattern()) : null;
        if (to != null) {
            models.requireServed(to.model(), matched.pattern());
            return submit.handle(req, key, to.kind(), to.model(), base);
        }
        return switch (matched.pattern()) {
            case PREDICTIONS -> matched.method().equals("POST") ? predictions.history(req, key, base) : predictions.list(req, key, base);
            case PREDICTIONS + "/{id}" -> matched.method().equals("DELETE") ? predictions.delete(segments[4], key, base)
                    : predictions.get(segments[4], key, base);
            case PREDICTIONS + "/{id}/result" -> predictions.get(segments[4], key, base);
            case PREDICTIONS + "/{id}/cancel" -> predictions.cancel(segments[4], key, base);
            case PREDICTIONS + "/{id}/regenerate" -> submit.regenerate(req, key, predictions.owned(segments[4], key), base);
            case "/api/v3/webhook/secret" -> account.webhookSecret(key);
            case "/api/v3/usage" -> account.usage(req, key);
            case "/api/v3/balance" -> account.balance(key);
            case "/api/v3/models" -> models.list();
            case "/api/v3/media/uploads" -> media.ticket(req, key);
            case "/api/v3/media/upload/binary" -> media.binary(req, key);
            default -> throw new IllegalStateException("unrouted " + matched);
        };
    }

    private ApiKey authenticate(ApiRequest req) throws ApiException {
        try {
            return auth.authenticate(req.header("authorization"));
        } catch (KeyAuthenticator.Unauthenticated e) {
            throw new ApiException(401, e.getMessage(), List.of(), Map.of("www-authenticate", "Bearer"));
        }
    }

    static String shorten(String s, int max) {
        if (s == null) {
            return "";
        }
        return s.length() > max ? s.substring(0, max) + "..." : s;
    }

    static ApiResponse ok(com.fasterxml.jackson.databind.JsonNode data) {
        return ApiResponse.json(200, Envelope.ok(data));
    }
}
