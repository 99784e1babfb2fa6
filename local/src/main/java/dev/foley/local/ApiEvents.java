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

    /** An authenticated JSON request. */
    public static APIGatewayV2HTTPEvent authed(String key, String method, String path, String body) {
        return of(method, path, "", Map.of("authorization", "Bearer " + key, "content-type", "application/json"), body, false);
    }
}
