package dev.foley.api;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.foley.json.Json;
import dev.foley.net.UrlPolicy;
import dev.foley.prediction.InvalidRequestException;
import dev.foley.prediction.Kind;
import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.RequestValidator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The OpenAPI document against what the code really serves and accepts. */
class OpenApiTest {

    static final JsonNode DOC = read();
    static final RequestValidator V = new RequestValidator(new UrlPolicy(true));

    static JsonNode read() {
        try {
            return new ObjectMapper(new YAMLFactory()).readTree(OpenApi.TEXT);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void isOpenApi31() {
        assertEquals("3.1.0", DOC.get("openapi").asText());
    }

    @Test
    void everyRouteIsDocumentedAndEveryDocumentedRouteIsServed() {
        Set<String> documented = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = DOC.get("paths").fields(); it.hasNext(); ) {
            var path = it.next();
            path.getValue().fieldNames().forEachRemaining(m -> documented.add(m.toUpperCase(Locale.ROOT) + " " + path.getKey()));
        }
        Set<String> served = new TreeSet<>();
        FoleyApi.ROUTES.forEach(r -> served.add(r.method() + " " + r.pattern()));
        assertEquals(served, documented);
    }

    @Test
    void submitSchemasListExactlyTheFieldsTheValidatorKnows() {
        for (var e : Map.of("VideoToAudioRequest", Kind.VIDEO, "TextToAudioRequest", Kind.TEXT,
                "LongVideoToAudioRequest", Kind.LONG).entrySet()) {
            JsonNode schema = DOC.at("/components/schemas/" + e.getKey());
            Set<String> props = new TreeSet<>();
            schema.get("properties").fieldNames().forEachRemaining(props::add);
            assertEquals(RequestValidator.fieldsOf(e.getValue()), props, e.getKey());
            assertFalse(schema.get("additionalProperties").asBoolean(true), "unknown fields are refused, so say so");
        }
    }

    @Test
    void documentedRangesAndDefaultsAreTheOnesEnforced() throws Exception {
        JsonNode props = DOC.at("/components/schemas/VideoToAudioRequest/properties");
        PredictionRequest defaults = V.validate(Kind.VIDEO, Json.parse("{\"video\":\"https://a.example/v.mp4\",\"prompt\":\"p\"}"));
        int checked = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode p = e.getValue();
            if (p.has("minimum")) {
                String min = p.get("minimum").asText();
                String max = p.get("maximum").asText();
                assertAccepted(e.getKey(), min);
                assertAccepted(e.getKey(), max);
                String step = p.get("type").asText().equals("integer") ? "1" : "0.001";
                assertRefused(e.getKey(), new java.math.BigDecimal(min).subtract(new java.math.BigDecimal(step)).toPlainString());
                assertRefused(e.getKey(), new java.math.BigDecimal(max).add(new java.math.BigDecimal(step)).toPlainString());
                checked++;
            }
            if (p.has("default")) {
                // Foley's extensions are echoed only when set on the hosted models; the long model echoes every one.
                JsonNode actual = defaults.toJson().has(e.getKey()) ? defaults.toJson().get(e.getKey())
                        : V.validate(Kind.LONG, Json.parse("{\"video\":\"https://a.example/v.mp4\",\"prompt\":\"p\"}")).toJson().get(e.getKey());
                JsonNode documented = p.get("default");
                assertNotNull(actual, e.getKey());
                if (documented.isNumber()) {
                    assertEquals(documented.asDouble(), actual.asDouble(), e.getKey());
                } else {
                    assertEquals(documented, actual, e.getKey());
                }
            }
        }
        assertEquals(8, checked, "steps, duration, guidance, seed, the original sound's level, the loudness target, its"
                + " true-peak ceiling and the takes have documented ranges");
        assertEquals(PredictionRequest.DEFAULT_DURATION, props.at("/duration/default").asInt());
        assertEquals(PredictionRequest.DEFAULT_STEPS, props.at("/num_inference_steps/default").asInt());
    }

    static void assertAccepted(String field, String value) throws Exception {
        V.validate(Kind.VIDEO, Json.parse("{\"video\":\"https://a.example/v.mp4\",\"prompt\":\"p\",\"" + field + "\":" + value + "}"));
    }

    static void assertRefused(String field, String value) {
        assertThrows(InvalidRequestException.class, () -> assertAccepted(field, value), field + "=" + value);
    }
}
