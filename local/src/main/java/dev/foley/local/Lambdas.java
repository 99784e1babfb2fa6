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
 * written as the JSON Lambda delivers and read back with the runtime's own serializers into the
 * type the handler takes ({@link APIGatewayV2HTTPEvent}, {@link S3Event}); the answer likewise.
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
        return roundTrip(handler.handleRequest(roundTrip(event, APIGatewayV2HTTPEvent.class), context), APIGatewayV2HTTPResponse.class);
    }

    public static String ingest(IngestHandler handler, S3Event event) {
        return handler.handleRequest(roundTrip(event, S3Event.class), null);
    }

    /** A notification's JSON as it arrives (an SQS body, say), read into the event as the runtime would. */
    public static String ingest(IngestHandler handler, String json, Context context) {
        return handler.handleRequest(LambdaEventSerializers.serializerFor(S3Event.class, LOADER).fromJson(json), context);
    }

    /** {@code value} written as the JSON Lambda carries and read back as the runtime reads it. */
    public static <T> T roundTrip(T value, Class<T> type) {
        var serializer = LambdaEventSerializers.serializerFor(type, LOADER);
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        serializer.toJson(value, json);
        return serializer.fromJson(json.toString(StandardCharsets.UTF_8));
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
