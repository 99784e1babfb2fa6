package dev.foley.local;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import java.util.HashMap;
import java.util.Map;

/** Minimal API Gateway HTTP API events for driving the handler in-process (bench, tests). */
public final class ApiEvents {

    private ApiEvents() {
    }

    public static APIGatewayV2HTTPEvent of(String method, String path, String rawQuery, Map<String, String> headers,
            String body, boolean base64) {
        var http = APIGatewayV2HTTPEvent.RequestContext.Http.builder().withMethod(method).withPath(path).build();
        var ctx = APIGatewayV2HTTPEvent.RequestContext.builder().withHttp(http).withDomainName("local.test")
                .withRequestId("req-" + System.nanoTime()).build();
        return APIGatewayV2HTTPEvent.builder().withRawPath(path).withRawQueryString(rawQuery)
                .withHeaders(new HashMap<>(headers)).withBody(body).withIsBase64Encoded(base64)
                .withRequestContext(ctx).build();
    }

    /**
     * The same request as the map the API handler receives: the payload 2.0 JSON that the Lambda
     * runtime reads into nested maps. The benchmarks call the handler with this, as the runtime
     * does, so no event library's serializer is timed.
     */
    public static Map<String, Object> map(String method, String path, String rawQuery, Map<String, String> headers,
            String body, boolean base64) {
        Map<String, Object> e = new HashMap<>();
        e.put("version", "2.0");
        e.put("routeKey", "$default");
        e.put("rawPath", path);
        e.put("rawQueryString", rawQuery);
        e.put("headers", new HashMap<>(headers));
        e.put("body", body);
        e.put("isBase64Encoded", base64);
        e.put("requestContext", Map.of("http", Map.of("method", method, "path", path), "domainName", "local.test",
                "requestId", "req-" + System.nanoTime()));
        return e;
    }

    /** An authenticated JSON request, as the map the handler receives. */
    public static Map<String, Object> authedMap(String key, String method, String path, String body) {
        return map(method, path, "", Map.of("authorization", "Bearer " + key, "content-type", "application/json"), body, false);
    }

    /** An authenticated JSON request. */
    public static APIGatewayV2HTTPEvent authed(String key, String method, String path, String body) {
        return of(method, path, "", Map.of("authorization", "Bearer " + key, "content-type", "application/json"), body, false);
    }
}
