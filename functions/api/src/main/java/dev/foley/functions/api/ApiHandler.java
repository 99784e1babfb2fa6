package dev.foley.functions.api;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
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
 * event and the answer are the Lambda events library's types ({@link APIGatewayV2HTTPEvent},
 * {@link APIGatewayV2HTTPResponse}), which the runtime reads and writes.
 */
public final class ApiHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse>, Resource {

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
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        // Every line this invocation logs carries its Lambda request id (and, for the API, API Gateway's).
        try (var scope = dev.foley.obs.Log.invocation(context == null ? null : context.getAwsRequestId(), correlationId(event))) {
            ApiResponse r = api.handle(toRequest(event));
            return APIGatewayV2HTTPResponse.builder().withStatusCode(r.status()).withHeaders(new HashMap<>(r.headers()))
                    .withBody(r.body()).withIsBase64Encoded(false).build();
        }
    }

    static String correlationId(APIGatewayV2HTTPEvent e) {
        return e == null || e.getRequestContext() == null ? null : e.getRequestContext().getRequestId();
    }

    /** The request as API Gateway's payload 2.0 describes it. */
    static ApiRequest toRequest(APIGatewayV2HTTPEvent e) {
        var ctx = e.getRequestContext();
        String method = ctx != null && ctx.getHttp() != null && ctx.getHttp().getMethod() != null ? ctx.getHttp().getMethod() : "GET";
        Map<String, String> headers = new HashMap<>();
        if (e.getHeaders() != null) {
            e.getHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.valueOf(v)));
        }
        byte[] body;
        String text = e.getBody();
        if (text == null) {
            body = new byte[0];
        } else if (e.getIsBase64Encoded()) {
            try {
                body = Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException bad) {
                body = text.getBytes(StandardCharsets.UTF_8);
            }
        } else {
            body = text.getBytes(StandardCharsets.UTF_8);
        }
        return new ApiRequest(method, e.getRawPath(), headers, e.getRawQueryString(), body, ctx == null ? null : ctx.getDomainName(),
                ctx != null && ctx.getRequestId() != null ? ctx.getRequestId() : "-");
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
