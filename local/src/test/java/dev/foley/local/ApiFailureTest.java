package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.api.FoleyApi;
import dev.foley.config.Settings;
import dev.foley.functions.api.ApiHandler;
import dev.foley.json.Json;
import java.net.ServerSocket;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** When the table misbehaves the client gets a clean 5xx in the envelope, never internals. */
@ExtendWith(Moto.class)
class ApiFailureTest {

    static final dev.foley.provider.ProviderChain DEAD_PROVIDER = Moto.providers(Map.of("FOLEY_PROVIDER", "wavespeed",
            "WAVESPEED_BASE_URL", "http://127.0.0.1:9", "WAVESPEED_API_KEY", "k"));

    static void assertClean(APIGatewayV2HTTPResponse r, int status) {
        assertEquals(status, r.getStatusCode(), r.getBody());
        JsonNode j = Json.parse(r.getBody());
        assertEquals(status, j.get("code").asInt());
        assertTrue(j.get("data").isNull());
        assertTrue(j.get("message").asText().contains("request id"), r.getBody());
        for (String leak : new String[] {"Exception", "\tat ", "dev.foley", "amazonaws", "dynamodb", "127.0.0.1"}) {
            assertFalse(r.getBody().toLowerCase().contains(leak.toLowerCase()), "leaks " + leak + ": " + r.getBody());
        }
    }

    @Test
    void unreachableTableIs503WithRetryAfter() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        Settings s = Settings.fromEnv(Map.of("FOLEY_TABLE", "t", "AWS_REGION", "us-east-1",
                "AWS_ENDPOINT_URL", "http://127.0.0.1:" + port));
        var handler = new ApiHandler(LocalFoley.wire(s, DEAD_PROVIDER, java.util.Optional.empty()).api());
        APIGatewayV2HTTPResponse r = Lambdas.api(handler, ApiEvents.authed("fk_x", "GET", "/api/v3/predictions", null));
        assertClean(r, 503);
        assertEquals("1", r.getHeaders().get("retry-after"));
    }

    @Test
    void missingTableIs500WithoutInternals() throws Exception {
        Settings s = Moto.settings("no-such-table", Map.of());
        var handler = new ApiHandler(LocalFoley.wire(s, DEAD_PROVIDER, java.util.Optional.empty()).api());
        assertClean(Lambdas.api(handler, ApiEvents.authed("fk_x", "POST", FoleyApi.SUBMIT_VIDEO,
                "{\"video\":\"https://a.example/v.mp4\",\"prompt\":\"x\"}")), 500);
    }
}
