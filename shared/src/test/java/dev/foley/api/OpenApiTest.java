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

    /** Each model path's schema says what the model registry says of each parameter (type, range, default, required). */
    @Test
    void submitSchemasDescribeEachParameterAsTheModelRegistryDoes() {
        int checked = 0;
        for (Kind kind : Kind.values()) {
            String schemaName = switch (kind) {
                case VIDEO -> "VideoToAudioRequest";
                case TEXT -> "TextToAudioRequest";
                case LONG -> "LongVideoToAudioRequest";
            };
            JsonNode schema = DOC.at("/components/schemas/" + schemaName);
            Set<String> required = new TreeSet<>();
            schema.path("required").forEach(r -> required.add(r.asText()));
            for (dev.foley.model.Param p : kind.spec().params()) {
                if (kind == Kind.LONG && p.name().equals("duration")) {
                    p = dev.foley.model.Models.longDuration(kind.spec());
                }
                JsonNode doc = resolve(schema.at("/properties/" + p.name()));
                String where = schemaName + "." + p.name();
                assertFalse(doc.isMissingNode(), where + " is documented");
                assertEquals(p.type().json(), doc.path("type").isArray() ? doc.path("type").get(0).asText() : doc.path("type").asText(), where);
                assertEquals(p.required(), required.contains(p.name()), where + " required");
                if (p.type() == dev.foley.model.Param.Type.INTEGER || p.type() == dev.foley.model.Param.Type.NUMBER) {
                    assertEquals(p.min(), doc.path("minimum").asDouble(), 1e-9, where + " minimum");
                    assertEquals(p.max(), doc.path("maximum").asDouble(), 1e-9, where + " maximum");
                    if (p.defaultValue() instanceof Number n) {
                        assertEquals(n.doubleValue(), doc.path("default").asDouble(), 1e-9, where + " default");
                    } else {
                        assertFalse(doc.has("default"), where + " has no default (absent means random, or the whole video)");
                    }
                }
                checked++;
            }
        }
        assertEquals(9 + 8 + 9, checked, "every parameter of the three MMAudio paths");
    }

    /** A property, or the one its {@code $ref} points to. */
    static JsonNode resolve(JsonNode n) {
        return n.has("$ref") ? DOC.at(n.get("$ref").asText().substring(1)) : n;
    }

    static void assertAccepted(String field, String value) throws Exception {
        V.validate(Kind.VIDEO, Json.parse("{\"video\":\"https://a.example/v.mp4\",\"prompt\":\"p\",\"" + field + "\":" + value + "}"));
    }

    static void assertRefused(String field, String value) {
        assertThrows(InvalidRequestException.class, () -> assertAccepted(field, value), field + "=" + value);
    }
}
