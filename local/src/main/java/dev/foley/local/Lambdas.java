package dev.foley.local;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.events.S3Event;
import com.amazonaws.services.lambda.runtime.serialization.events.LambdaEventSerializers;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.foley.functions.api.ApiHandler;
import dev.foley.functions.ingest.IngestHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Calls a handler as the Lambda runtime does: the typed event (what API Gateway or S3 sends) is
 * written as the JSON Lambda delivers, read into the map the handler takes, and the handler's
 * answer read back into the typed response. Local mode and the tests use the typed events; the
 * functions' zips carry no event library.
 */
public final class Lambdas {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ClassLoader LOADER = Lambdas.class.getClassLoader();

    private Lambdas() {
    }

    public static APIGatewayV2HTTPResponse api(ApiHandler handler, APIGatewayV2HTTPEvent event) {
        return api(handler, event, null);
    }

    public static APIGatewayV2HTTPResponse api(ApiHandler handler, APIGatewayV2HTTPEvent event, Context context) {
        Map<String, Object> out = handler.handleRequest(asMap(event, APIGatewayV2HTTPEvent.class), context);
        try {
            return LambdaEventSerializers.serializerFor(APIGatewayV2HTTPResponse.class, LOADER).fromJson(JSON.writeValueAsString(out));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String ingest(IngestHandler handler, S3Event event) {
        return handler.handleRequest(asMap(event, S3Event.class), null);
    }

    /** A notification's JSON as it arrives (an SQS body, say), handed over as the runtime would. */
    @SuppressWarnings("unchecked")
    public static String ingest(IngestHandler handler, String json, Context context) {
        try {
            return handler.handleRequest(JSON.readValue(json, Map.class), context);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The event as the runtime hands it to a handler taking a map: its JSON, read into nested maps. */
    @SuppressWarnings("unchecked")
    public static <T> Map<String, Object> asMap(T event, Class<T> type) {
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        LambdaEventSerializers.serializerFor(type, LOADER).toJson(event, json);
        try {
            return JSON.readValue(json.toString(StandardCharsets.UTF_8), Map.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
