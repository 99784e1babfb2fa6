package dev.foley.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.auth.ApiKey;
import dev.foley.auth.KeyAuthenticator;
import dev.foley.auth.KeyMaterial;
import dev.foley.json.Json;
import dev.foley.pipeline.Dispatcher;
import dev.foley.prediction.FieldError;
import dev.foley.prediction.IdGenerator;
import dev.foley.prediction.InvalidRequestException;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.RequestValidator;
import dev.foley.store.IdempotencyConflictException;
import dev.foley.store.PredictionStore;
import dev.foley.store.PredictionStore.IdempotencyClaim;
import dev.foley.store.StoreUnavailableException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The HTTP API: routes, auth, and the hosted MMAudio v2 contract. Handlers (Lambda or local) only
 * translate their event into an {@link ApiRequest}; every rule is here.
 */
public final class FoleyApi {

    public static final int MAX_BODY_BYTES = 64 * 1024;
    public static final String SUBMIT_VIDEO = "/api/v3/wavespeed-ai/mmaudio-v2";
    public static final String SUBMIT_TEXT = "/api/v3/wavespeed-ai/mmaudio-v2/text-to-audio";
    private static final String PREDICTIONS = "/api/v3/predictions";
    private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");
    private static final System.Logger LOG = System.getLogger("foley.api");

    /** A route: method and path pattern ({@code {id}} matches one segment). */
    public record Route(String method, String pattern) {
        boolean matches(String[] segments) {
            String[] p = pattern.split("/");
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

    /** Every route this API serves (the OpenAPI document and the SAM template are checked against it). */
    public static final List<Route> ROUTES = List.of(
            new Route("GET", "/health"),
            new Route("GET", "/openapi.yaml"),
            new Route("POST", SUBMIT_VIDEO),
            new Route("POST", SUBMIT_TEXT),
            new Route("GET", PREDICTIONS),
            new Route("GET", PREDICTIONS + "/{id}"),
            new Route("GET", PREDICTIONS + "/{id}/result"),
            new Route("POST", PREDICTIONS + "/{id}/cancel"));

    private final PredictionStore store;
    private final KeyAuthenticator auth;
    private final RequestValidator validator;
    private final IdGenerator ids;
    private final Clock clock;
    private final Optional<String> publicBaseUrl;
    private final Dispatcher dispatcher;

    /** Builds the API from configuration: the one wiring used by Lambda and local mode alike. */
    public static FoleyApi create(dev.foley.config.Settings settings,
            software.amazon.awssdk.services.dynamodb.DynamoDbClient dynamo, Clock clock,
            dev.foley.provider.ProviderChain providers) {
        var predictions = new PredictionStore(dynamo, settings.table(), clock, settings.dueShards(), settings.retention());
        var keys = new dev.foley.store.ApiKeyStore(dynamo, settings.table(), clock);
        return new FoleyApi(predictions, new KeyAuthenticator(keys, clock, settings.keyCacheTtl()),
                new RequestValidator(new dev.foley.net.UrlPolicy(settings.strictUrls())), IdGenerator.random(),
                clock, settings.publicBaseUrl(),
                new Dispatcher(predictions, providers, clock, settings.callbackBase()));
    }

    public FoleyApi(PredictionStore store, KeyAuthenticator auth, RequestValidator validator, IdGenerator ids,
            Clock clock, Optional<String> publicBaseUrl, Dispatcher dispatcher) {
        this.dispatcher = dispatcher;
        this.store = store;
        this.auth = auth;
        this.validator = validator;
        this.ids = ids;
        this.clock = clock;
        this.publicBaseUrl = publicBaseUrl;
    }

    public ApiResponse handle(ApiRequest req) {
        try {
            return route(req);
        } catch (ApiException e) {
            var r = ApiResponse.json(e.status(), Envelope.error(e.status(), e.getMessage(), e.errors()));
            if (e.headers().isEmpty()) {
                return r;
            }
            var h = new java.util.HashMap<>(r.headers());
            h.putAll(e.headers());
            return new ApiResponse(r.status(), Map.copyOf(h), r.body());
        } catch (StoreUnavailableException e) {
            LOG.log(Level.WARNING, "request {0}: store unavailable: {1}", req.requestId(), e.getMessage());
            return new ApiResponse(503, Map.of("content-type", "application/json", "retry-after", "1"),
                    Envelope.error(503, "temporarily unavailable, please retry (request id " + req.requestId() + ")",
                            List.of()));
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "request " + req.requestId() + " failed", e);
            return ApiResponse.json(500, Envelope.error(500, "internal error (request id " + req.requestId() + ")",
                    List.of()));
        }
    }

    private ApiResponse route(ApiRequest req) throws ApiException {
        String path = req.path() == null || req.path().isEmpty() ? "/" : req.path();
        if (path.length() > 1 && path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        String[] segments = path.split("/");
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
        if (matched == null) {
            if (allowed.isEmpty()) {
                throw new ApiException(404, "no such route: " + shorten(req.method() + " " + path, 120));
            }
            throw new ApiException(405, "method " + shorten(req.method(), 16) + " not allowed on " + shorten(path, 100)
                    + "; allowed: " + String.join(", ", allowed), List.of(), Map.of("allow", String.join(", ", allowed)));
        }
        if (matched.pattern().equals("/health")) {
            return ApiResponse.json(200, "{\"status\":\"ok\"}");
        }
        if (matched.pattern().equals("/openapi.yaml")) {
            return new ApiResponse(200, Map.of("content-type", "application/yaml; charset=utf-8"), OpenApi.TEXT);
        }
        ApiKey key = authenticate(req);
        String base = baseUrl(req);
        return switch (matched.pattern()) {
            case SUBMIT_VIDEO -> submit(req, key, Kind.VIDEO, base);
            case SUBMIT_TEXT -> submit(req, key, Kind.TEXT, base);
            case PREDICTIONS -> list(req, key, base);
            case PREDICTIONS + "/{id}", PREDICTIONS + "/{id}/result" -> ok(PredictionView.data(owned(segments[4], key), base));
            case PREDICTIONS + "/{id}/cancel" -> cancel(segments[4], key, base);
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

    private ApiResponse submit(ApiRequest req, ApiKey key, Kind kind, String base) throws ApiException {
        String type = req.header("content-type");
        if (type != null && !isJson(type)) {
            throw new ApiException(415, "Content-Type must be application/json, got " + shorten(type, 80)
                    + " (with curl: -H 'Content-Type: application/json')");
        }
        byte[] body = req.body() == null ? new byte[0] : req.body();
        if (body.length > MAX_BODY_BYTES) {
            throw new ApiException(413, "body: must be at most " + MAX_BODY_BYTES + " bytes, got " + body.length);
        }
        Map<String, String> query = QueryString.parse(req.rawQuery());
        List<FieldError> errors = new ArrayList<>();
        String webhook = query.get("webhook");
        if (webhook != null) {
            validator.checkWebhook(webhook, errors);
        }
        String idemKey = req.header("idempotency-key");
        if (idemKey != null && !IDEMPOTENCY_KEY.matcher(idemKey).matches()) {
            errors.add(new FieldError("Idempotency-Key", "must be 1 to 255 printable ASCII characters"));
        }
        PredictionRequest request = null;
        try {
            JsonNode json = Json.parse(body);
            request = validator.validate(kind, json);
        } catch (Json.InvalidJsonException e) {
            errors.add(0, new FieldError("body", "is not valid JSON: " + e.getMessage()));
        } catch (InvalidRequestException e) {
            errors.addAll(0, e.errors());
        }
        if (!errors.isEmpty()) {
            throw ApiException.invalid(errors);
        }
        Prediction p = Prediction.accepted(ids.next(), key.keyId(), request, webhook, clock.instant());
        IdempotencyClaim claim = idemKey == null ? null : new IdempotencyClaim(key.keyId(), idemKey,
                KeyMaterial.sha256Hex(kind.code() + "\n" + Json.write(request.toJson()) + "\n" + webhook));
        try {
            PredictionStore.Created created = store.create(p, claim);
            Prediction now = created.prediction();
            if (created instanceof PredictionStore.Created.New) {
                now = dispatch(now);
            }
            return ok(PredictionView.data(now, base));
        } catch (IdempotencyConflictException e) {
            throw new ApiException(422, "Idempotency-Key was already used with a different request; "
                    + "use a new key for a new request");
        }
    }

    /** Hands a new prediction to its provider. It is stored already: whatever happens here, the poller can carry on. */
    private Prediction dispatch(Prediction p) {
        try {
            return dispatcher.submit(p);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "submitting prediction " + p.id() + " to its provider failed; the poller will retry", e);
            return p;
        }
    }

    private ApiResponse list(ApiRequest req, ApiKey key, String base) throws ApiException {
        Map<String, String> query = QueryString.parse(req.rawQuery());
        int limit = 20;
        String rawLimit = query.get("limit");
        if (rawLimit != null) {
            try {
                limit = Integer.parseInt(rawLimit);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > 100) {
                throw ApiException.invalid(List.of(new FieldError("limit",
                        "must be an integer between 1 and 100, got " + shorten(rawLimit, 20))));
            }
        }
        String cursor = query.get("cursor");
        PredictionStore.Page page;
        try {
            page = store.list(key.keyId(), limit, cursor == null || cursor.isEmpty() ? null : cursor);
        } catch (PredictionStore.InvalidCursorException e) {
            throw ApiException.invalid(List.of(new FieldError("cursor", "is not a cursor this API returned")));
        }
        ObjectNode data = Json.object();
        ArrayNode items = data.putArray("items");
        page.items().forEach(p -> items.add(PredictionView.dataWithInput(p, base)));
        if (page.nextCursor().isPresent()) {
            data.put("next_cursor", page.nextCursor().get());
        } else {
            data.putNull("next_cursor");
        }
        return ok(data);
    }

    private ApiResponse cancel(String id, ApiKey key, String base) throws ApiException {
        for (int attempt = 0; attempt < 5; attempt++) {
            Prediction p = owned(id, key);
            if (p.phase().terminal()) {
                throw new ApiException(409, "prediction " + id + " is already " + p.phase().status()
                        + " and cannot be cancelled");
            }
            Optional<Prediction> moved = store.transition(p, Phase.CANCELLED,
                    new PredictionStore.Change().error("cancelled by the client"));
            if (moved.isPresent()) {
                return ok(PredictionView.data(moved.get(), base));
            }
            // Someone else moved it meanwhile (the poller, a callback): look again.
        }
        throw new StoreUnavailableException("cancel kept losing races for " + id, null);
    }

    /** The prediction if it exists and belongs to this key; 404 alike for both, so ids leak nothing. */
    private Prediction owned(String id, ApiKey key) throws ApiException {
        if (IdGenerator.looksLikeId(id)) {
            Optional<Prediction> p = store.get(id);
            if (p.isPresent() && p.get().keyId().equals(key.keyId())) {
                return p.get();
            }
        }
        throw new ApiException(404, "prediction " + shorten(id, 64) + " not found");
    }

    private String baseUrl(ApiRequest req) {
        if (publicBaseUrl.isPresent()) {
            return publicBaseUrl.get();
        }
        String proto = req.header("x-forwarded-proto");
        proto = "http".equals(proto) ? "http" : "https";
        String host = req.header("host");
        if (host == null || !host.matches("[A-Za-z0-9.:\\-\\[\\]]{1,255}")) {
            host = req.domainName() == null ? "localhost" : req.domainName();
        }
        return proto + "://" + host;
    }

    private static boolean isJson(String contentType) {
        String t = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        return t.equals("application/json") || (t.startsWith("application/") && t.endsWith("+json"));
    }

    private static ApiResponse ok(JsonNode data) {
        return ApiResponse.json(200, Envelope.ok(data));
    }

    private static String shorten(String s, int max) {
        if (s == null) {
            return "";
        }
        return s.length() > max ? s.substring(0, max) + "..." : s;
    }
}
