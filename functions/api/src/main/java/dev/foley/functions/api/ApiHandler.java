package dev.foley.functions.api;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.foley.Foley;
import dev.foley.api.ApiRequest;
import dev.foley.api.ApiResponse;
import dev.foley.api.FoleyApi;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.crac.Core;
import org.crac.Resource;

/**
 * API Gateway (HTTP API, payload format 2.0) → {@link FoleyApi}. Holds no rule of its own. The
 * event arrives as the runtime reads any JSON event (nested maps), so no event library is needed
 * in the zip; the answer goes back the same way.
 */
public final class ApiHandler implements RequestHandler<Map<String, Object>, Map<String, Object>>, Resource {

    private final FoleyApi api;

    /** Lambda's constructor: builds the real collaborators from the environment, once. */
    public ApiHandler() {
        this(Foley.fromEnvironment(System.getenv()).api());
        Core.getGlobalContext().register(this);
    }

    public ApiHandler(FoleyApi api) {
        this.api = api;
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        // Every line this invocation logs carries its Lambda request id (and, for the API, API Gateway's).
        try (var scope = dev.foley.obs.Log.invocation(context == null ? null : context.getAwsRequestId(), ApiHandler.correlationId(event))) {
            return handle(event, context);
        }
    }

    private Map<String, Object> handle(Map<String, Object> event, Context context) {
        ApiResponse r = api.handle(toRequest(event));
        Map<String, Object> out = new HashMap<>();
        out.put("statusCode", r.status());
        out.put("headers", r.headers());
        out.put("body", r.body());
        out.put("isBase64Encoded", false);
        return out;
    }

    static String correlationId(Map<String, Object> e) {
        return map(e.get("requestContext")).get("requestId") instanceof String id ? id : null;
    }

    /** The request as API Gateway's payload 2.0 describes it. */
    static ApiRequest toRequest(Map<String, Object> e) {
        Map<String, Object> ctx = map(e.get("requestContext"));
        Map<String, Object> http = map(ctx.get("http"));
        String method = http.get("method") instanceof String m ? m : "GET";
        Map<String, String> headers = new HashMap<>();
        map(e.get("headers")).forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.valueOf(v)));
        byte[] body;
        Object raw = e.get("body");
        if (!(raw instanceof String text)) {
            body = new byte[0];
        } else if (Boolean.TRUE.equals(e.get("isBase64Encoded"))) {
            try {
                body = Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException bad) {
                body = text.getBytes(StandardCharsets.UTF_8);
            }
        } else {
            body = text.getBytes(StandardCharsets.UTF_8);
        }
        return new ApiRequest(method, (String) e.get("rawPath"), headers, (String) e.get("rawQueryString"), body,
                (String) ctx.get("domainName"), ctx.get("requestId") instanceof String id ? id : "-");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    /** SnapStart priming: run the real routing, JSON and DynamoDB paths once, with no writes. */
    @Override
    public void beforeCheckpoint(org.crac.Context<? extends Resource> context) {
        try {
            api.handle(new ApiRequest("GET", "/health", Map.of(), "", new byte[0], "prime", "prime"));
            api.handle(new ApiRequest("GET", "/api/v3/predictions/00000000000000000000000000000000/result",
                    Map.of("authorization", "Bearer fk_priming-only-not-a-key"), "", new byte[0], "prime", "prime"));
        } catch (RuntimeException ignored) {
            // Priming is best effort: a failure here must never block a deployment.
        }
    }

    @Override
    public void afterRestore(org.crac.Context<? extends Resource> context) {
        // Nothing to refresh: no ids, clocks or connections are captured at init.
    }
}
