package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.serialization.events.LambdaEventSerializers;
import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.api.FoleyApi;
import dev.foley.config.Settings;
import dev.foley.functions.api.ApiHandler;
import dev.foley.json.Json;
import dev.foley.store.ApiKeyStore;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** The files in {@code events/}, read the way the Lambda Java runtime reads them, through the real handler. */
@ExtendWith(Moto.class)
class EventFixtureTest {

    static ApiHandler handler;
    static dev.foley.Foley foley;
    static dev.foley.provider.emulator.WaveSpeedEmulator emulator;

    @org.junit.jupiter.api.AfterAll
    static void stop() {
        emulator.close();
    }

    @BeforeAll
    static void wire() throws Exception {
        Settings s = Moto.settings(Moto.tableName("events"), Map.of());
        DynamoDbClient dynamo = Moto.freshTable(s);
        new ApiKeyStore(dynamo, s.table(), Clock.systemUTC()).create("fixtures", "fk_sample-key-for-sam-local-and-tests-only");
        emulator = new dev.foley.provider.emulator.WaveSpeedEmulator("ws-key");
        foley = Moto.foley(s, dynamo, Moto.providers(Moto.wavespeed(emulator)));
        handler = new ApiHandler(foley.api());
    }

    static APIGatewayV2HTTPEvent load(String name) throws Exception {
        var serializer = LambdaEventSerializers.serializerFor(APIGatewayV2HTTPEvent.class, EventFixtureTest.class.getClassLoader());
        try (InputStream in = Files.newInputStream(Moto.projectRoot().resolve("events").resolve(name))) {
            return serializer.fromJson(in);
        }
    }

    static JsonNode body(APIGatewayV2HTTPResponse r) {
        return Json.parse(r.getBody());
    }

    @Test
    void submitThenResult() throws Exception {
        APIGatewayV2HTTPResponse r = Lambdas.api(handler, load("api-submit.json"));
        assertEquals(200, r.getStatusCode(), r.getBody());
        JsonNode data = body(r).get("data");
        assertEquals("processing", data.get("status").asText(), "handed to the provider at once");
        // urls.get comes from the forwarded protocol and host, as clients of the deployed API see it.
        assertEquals("https://abc123.execute-api.us-east-1.amazonaws.com/api/v3/predictions/" + data.get("id").asText() + "/result",
                data.at("/urls/get").asText());

        APIGatewayV2HTTPEvent result = load("api-result.json");
        result.setRawPath("/api/v3/predictions/" + data.get("id").asText() + "/result");
        APIGatewayV2HTTPResponse got = Lambdas.api(handler, result);
        assertEquals(200, got.getStatusCode());
        assertEquals(data, body(got).get("data"));
    }

    @Test
    void textToAudioWithBase64Body() throws Exception {
        APIGatewayV2HTTPResponse r = Lambdas.api(handler, load("api-submit-text.json"));
        assertEquals(200, r.getStatusCode(), r.getBody());
        assertEquals("wavespeed-ai/mmaudio-v2/text-to-audio", body(r).at("/data/model").asText());
    }

    @Test
    void invalidSubmitNamesBothFields() throws Exception {
        APIGatewayV2HTTPResponse r = Lambdas.api(handler, load("api-submit-invalid.json"));
        assertEquals(400, r.getStatusCode());
        String msg = body(r).get("message").asText();
        assertTrue(msg.contains("duration: must be an integer between 1 and 30, got 45"), msg);
        assertTrue(msg.contains("num_steps: unknown field; did you mean num_inference_steps?"), msg);
    }

    @Test
    void scheduleAndCompletionEventsReachTheirHandlers() throws Exception {
        var schedule = LambdaEventSerializers.serializerFor(com.amazonaws.services.lambda.runtime.events.ScheduledEvent.class,
                EventFixtureTest.class.getClassLoader());
        try (InputStream in = Files.newInputStream(Moto.projectRoot().resolve("events/schedule.json"))) {
            var event = schedule.fromJson(in);
            assertEquals("aws.scheduler", event.getSource());
            String out = new dev.foley.functions.poller.PollerHandler(foley.poller(4, java.time.Duration.ofSeconds(60)))
                    .handleRequest(Lambdas.asMap(event, com.amazonaws.services.lambda.runtime.events.ScheduledEvent.class), null);
            assertTrue(out.startsWith("{\"steps\":"), out);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> completion = Json.MAPPER.readValue(Files.readString(Moto.projectRoot().resolve("events/completion.json")), Map.class);
        assertEquals("{\"ignored\":\"unknown prediction\"}",
                new dev.foley.functions.completion.CompletionHandler(foley.pipeline()).handleRequest(completion, null));
        assertEquals("{\"ignored\":\"no valid prediction_id\"}",
                new dev.foley.functions.completion.CompletionHandler(foley.pipeline()).handleRequest(Map.of("x", 1), null));
    }

    @Test
    void snapStartPrimingWritesNothing() throws Exception {
        var before = Moto.dynamo(foley.settings()).scan(r -> r.tableName(foley.settings().table())).count();
        handler.beforeCheckpoint(null);
        new dev.foley.functions.poller.PollerHandler(foley.poller(4, java.time.Duration.ofSeconds(60))).beforeCheckpoint(null);
        new dev.foley.functions.completion.CompletionHandler(foley.pipeline()).beforeCheckpoint(null);
        assertEquals(before, Moto.dynamo(foley.settings()).scan(r -> r.tableName(foley.settings().table())).count());
    }

    @Test
    void resultForAnUnknownIdIs404() throws Exception {
        APIGatewayV2HTTPResponse r = Lambdas.api(handler, load("api-result.json"));
        assertEquals(404, r.getStatusCode());
        assertTrue(body(r).get("data").isNull());
    }
}
