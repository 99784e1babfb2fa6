package dev.foley.prediction;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;
import dev.foley.net.UrlPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every parameter at min, max, just outside, wrong type, null and absent; and the ugly bodies. */
class RequestValidatorTest {

    static final RequestValidator V = new RequestValidator(new UrlPolicy(true));
    static final String BASE = "{\"video\":\"https://cdn.example.com/clip.mp4\",\"prompt\":\"a dog barks\"}";

    static ObjectNode base() {
        return (ObjectNode) Json.parse(BASE);
    }

    static ObjectNode with(String field, String jsonValue) {
        ObjectNode n = base();
        n.set(field, Json.parse(jsonValue));
        return n;
    }

    /** field, JSON value, expected error (null = accepted). */
    static Stream<Arguments> cases() {
        List<Arguments> c = new ArrayList<>();
        // num_inference_steps: integer 4..50
        c.add(Arguments.of("num_inference_steps", "4", null));
        c.add(Arguments.of("num_inference_steps", "50", null));
        c.add(Arguments.of("num_inference_steps", "3", "num_inference_steps: must be an integer between 4 and 50, got 3"));
        c.add(Arguments.of("num_inference_steps", "51", "num_inference_steps: must be an integer between 4 and 50, got 51"));
        c.add(Arguments.of("num_inference_steps", "25.5", "num_inference_steps: must be an integer between 4 and 50, got 25.5"));
        c.add(Arguments.of("num_inference_steps", "\"25\"", "num_inference_steps: must be an integer between 4 and 50, got \"25\""));
        c.add(Arguments.of("num_inference_steps", "null", null));
        // duration: integer 1..30
        c.add(Arguments.of("duration", "1", null));
        c.add(Arguments.of("duration", "30", null));
        c.add(Arguments.of("duration", "8.0", null));
        c.add(Arguments.of("duration", "0", "duration: must be an integer between 1 and 30, got 0"));
        c.add(Arguments.of("duration", "31", "duration: must be an integer between 1 and 30, got 31"));
        c.add(Arguments.of("duration", "45", "duration: must be an integer between 1 and 30, got 45"));
        c.add(Arguments.of("duration", "-1", "duration: must be an integer between 1 and 30, got -1"));
        c.add(Arguments.of("duration", "8.5", "duration: must be an integer between 1 and 30, got 8.5"));
        c.add(Arguments.of("duration", "\"8\"", "duration: must be an integer between 1 and 30, got \"8\""));
        c.add(Arguments.of("duration", "true", "duration: must be an integer between 1 and 30, got true"));
        c.add(Arguments.of("duration", "[8]", "duration: must be an integer between 1 and 30, got an array"));
        c.add(Arguments.of("duration", "{\"s\":8}", "duration: must be an integer between 1 and 30, got an object"));
        c.add(Arguments.of("duration", "1e400", "duration: must be an integer between 1 and 30, got 1E+400"));
        c.add(Arguments.of("duration", "99999999999999999999999", "duration: must be an integer between 1 and 30, got 99999999999999999999999"));
        c.add(Arguments.of("duration", "null", null));
        // guidance_scale: number 0..20
        c.add(Arguments.of("guidance_scale", "0", null));
        c.add(Arguments.of("guidance_scale", "20", null));
        c.add(Arguments.of("guidance_scale", "7.25", null));
        c.add(Arguments.of("guidance_scale", "-0.01", "guidance_scale: must be a number between 0 and 20, got -0.01"));
        c.add(Arguments.of("guidance_scale", "20.001", "guidance_scale: must be a number between 0 and 20, got 20.001"));
        c.add(Arguments.of("guidance_scale", "\"4.5\"", "guidance_scale: must be a number between 0 and 20, got \"4.5\""));
        c.add(Arguments.of("guidance_scale", "null", null));
        // mask_away_clip, enable_sync_mode: booleans
        c.add(Arguments.of("mask_away_clip", "true", null));
        c.add(Arguments.of("mask_away_clip", "false", null));
        c.add(Arguments.of("mask_away_clip", "\"yes\"", "mask_away_clip: must be true or false, got \"yes\""));
        c.add(Arguments.of("mask_away_clip", "1", "mask_away_clip: must be true or false, got 1"));
        c.add(Arguments.of("mask_away_clip", "null", null));
        c.add(Arguments.of("enable_sync_mode", "true", null));
        c.add(Arguments.of("enable_sync_mode", "\"true\"", "enable_sync_mode: must be true or false, got \"true\""));
        // seed: integer 0..65535, optional
        c.add(Arguments.of("seed", "0", null));
        c.add(Arguments.of("seed", "65535", null));
        c.add(Arguments.of("seed", "-1", "seed: must be an integer between 0 and 65535, got -1"));
        c.add(Arguments.of("seed", "65536", "seed: must be an integer between 0 and 65535, got 65536"));
        c.add(Arguments.of("seed", "\"42\"", "seed: must be an integer between 0 and 65535, got \"42\""));
        c.add(Arguments.of("seed", "null", null));
        // prompt: required, non-blank string
        c.add(Arguments.of("prompt", "\"x\"", null));
        c.add(Arguments.of("prompt", "\"\"", "prompt: must not be blank"));
        c.add(Arguments.of("prompt", "\"   \\n\\t \"", "prompt: must not be blank"));
        c.add(Arguments.of("prompt", "null", "prompt: required"));
        c.add(Arguments.of("prompt", "42", "prompt: must be a string, got 42"));
        c.add(Arguments.of("prompt", "[\"rain\"]", "prompt: must be a string, got an array"));
        c.add(Arguments.of("prompt", "\"\\ud800 lone\"", "prompt: must be valid Unicode text (it has an unpaired surrogate)"));
        // negative_prompt: optional string, may be empty
        c.add(Arguments.of("negative_prompt", "\"\"", null));
        c.add(Arguments.of("negative_prompt", "\"music, speech\"", null));
        c.add(Arguments.of("negative_prompt", "null", null));
        c.add(Arguments.of("negative_prompt", "false", "negative_prompt: must be a string, got false"));
        // video: required http(s) URL to a public address
        c.add(Arguments.of("video", "\"http://cdn.example.com/a.mp4\"", null));
        c.add(Arguments.of("video", "\"https://cdn.example.com/a%20b.mp4?sig=1&x=2\"", null));
        c.add(Arguments.of("video", "null", "video: required"));
        c.add(Arguments.of("video", "\"\"", "video: must not be blank"));
        c.add(Arguments.of("video", "\"ftp://example.com/a.mp4\"", "video: must be an http(s) URL"));
        c.add(Arguments.of("video", "\"file:///etc/passwd\"", "video: must be an http(s) URL"));
        c.add(Arguments.of("video", "\"https://\"", "video: must be an http(s) URL (Expected authority)"));
        c.add(Arguments.of("video", "\"https://user:pw@example.com/a.mp4\"", "video: must not contain credentials"));
        c.add(Arguments.of("video", "\"http://127.0.0.1/a.mp4\"", "video: must point to a public address, not 127.0.0.1"));
        c.add(Arguments.of("video", "\"http://169.254.169.254/latest/meta-data\"", "video: must point to a public address, not 169.254.169.254"));
        c.add(Arguments.of("video", "5", "video: must be a string, got 5"));
        return c.stream();
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("cases")
    void eachParameter(String field, String json, String expected) {
        JsonNode body = with(field, json);
        if (expected == null) {
            assertDoesNotThrow(() -> V.validate(Kind.VIDEO, body));
        } else {
            var e = assertThrows(InvalidRequestException.class, () -> V.validate(Kind.VIDEO, body));
            assertEquals(List.of(expected), e.errors().stream().map(FieldError::toString).toList());
        }
    }

    @Test
    void absentOptionalFieldsTakeTheHostedDefaults() throws Exception {
        PredictionRequest r = V.validate(Kind.VIDEO, base());
        assertEquals(25, r.numInferenceSteps());
        assertEquals(8, r.duration());
        assertEquals(4.5, r.guidanceScale());
        assertFalse(r.maskAwayClip());
        assertEquals("", r.negativePrompt());
        assertNull(r.seed());
        assertFalse(r.enableSyncMode());
    }

    @Test
    void acceptedValuesArriveExactly() throws Exception {
        PredictionRequest r = V.validate(Kind.VIDEO, Json.parse("""
                {"video":"https://x.example/v.mp4","prompt":"p","negative_prompt":"n","num_inference_steps":4,
                 "duration":30,"guidance_scale":0.5,"mask_away_clip":true,"seed":7,"enable_sync_mode":true}"""));
        assertEquals(new PredictionRequest(Kind.VIDEO, "https://x.example/v.mp4", "p", "n", 4, 30, 0.5, true, 7, true), r);
    }

    @Test
    void requiredFieldsAbsent() {
        var e = assertThrows(InvalidRequestException.class, () -> V.validate(Kind.VIDEO, Json.parse("{}")));
        assertEquals(List.of("video: required", "prompt: required"),
                e.errors().stream().map(FieldError::toString).toList());
    }

    @Test
    void everyProblemIsReportedNotJustTheFirst() {
        var e = assertThrows(InvalidRequestException.class, () -> V.validate(Kind.VIDEO, Json.parse(
                "{\"video\":\"ftp://x\",\"prompt\":\"\",\"duration\":45,\"seed\":-3,\"num_steps\":10}")));
        assertEquals(5, e.errors().size(), e.getMessage());
        assertTrue(e.getMessage().contains("duration: must be an integer between 1 and 30, got 45"));
    }

    @Test
    void unknownFieldsAreNamedWithASuggestion() {
        var e = assertThrows(InvalidRequestException.class, () -> V.validate(Kind.VIDEO, with("num_steps", "10")));
        assertEquals("num_steps: unknown field; did you mean num_inference_steps?", e.getMessage());
        e = assertThrows(InvalidRequestException.class, () -> V.validate(Kind.VIDEO, with("duraton", "10")));
        assertEquals("duraton: unknown field; did you mean duration?", e.getMessage());
        e = assertThrows(InvalidRequestException.class, () -> V.validate(Kind.VIDEO, with("colour", "\"red\"")));
        assertEquals("colour: unknown field", e.getMessage());
        e = assertThrows(InvalidRequestException.class, () -> V.validate(Kind.VIDEO, with("Prompt", "\"x\"")));
        assertTrue(e.getMessage().startsWith("Prompt: unknown field"), e.getMessage());
    }

    @Test
    void textToAudioRefusesVideoAndNeedsOnlyAPrompt() throws Exception {
        var e = assertThrows(InvalidRequestException.class, () -> V.validate(Kind.TEXT, base()));
        assertTrue(e.getMessage().startsWith("video: not accepted by text-to-audio"), e.getMessage());
        PredictionRequest r = V.validate(Kind.TEXT, Json.parse("{\"prompt\":\"thunder\",\"duration\":3}"));
        assertNull(r.video());
        assertEquals(3, r.duration());
    }

    @Test
    void unicodeAndLongPrompts() throws Exception {
        String unicode = "雨が屋根を叩く 🌧️ — café, ñandú, Ελληνικά, עברית";
        assertEquals(unicode, V.validate(Kind.VIDEO, with("prompt", Json.write(unicode))).prompt());
        String tenKb = "crackling fire ".repeat(683).substring(0, 10_240);
        assertEquals(10_240, V.validate(Kind.VIDEO, with("prompt", Json.write(tenKb))).prompt().length());
        String tooLong = "x".repeat(RequestValidator.MAX_PROMPT_CHARS + 1);
        var e = assertThrows(InvalidRequestException.class, () -> V.validate(Kind.VIDEO, with("prompt", Json.write(tooLong))));
        assertEquals("prompt: must be at most 20000 characters, got 20001", e.getMessage());
    }

    @Test
    void bodiesThatAreNotObjects() {
        assertEquals("body: required: a JSON object",
                assertThrows(InvalidRequestException.class, () -> V.validate(Kind.VIDEO, null)).getMessage());
        assertEquals("body: must be a JSON object, got an array",
                assertThrows(InvalidRequestException.class, () -> V.validate(Kind.VIDEO, Json.parse("[1,2]"))).getMessage());
        assertEquals("body: must be a JSON object, got a string",
                assertThrows(InvalidRequestException.class, () -> V.validate(Kind.VIDEO, Json.parse("\"x\""))).getMessage());
        assertEquals("body: must be a JSON object, got null",
                assertThrows(InvalidRequestException.class, () -> V.validate(Kind.VIDEO, Json.parse("null"))).getMessage());
    }

    @Test
    void strictJsonParsing() {
        assertThrows(Json.InvalidJsonException.class, () -> Json.parse("{\"prompt\":\"a\",\"prompt\":\"b\"}".getBytes()));
        assertThrows(Json.InvalidJsonException.class, () -> Json.parse("{\"prompt\":\"a\"} trailing".getBytes()));
        assertThrows(Json.InvalidJsonException.class, () -> Json.parse("[".repeat(200).getBytes()));
        assertThrows(Json.InvalidJsonException.class, () -> Json.parse(new byte[] {'{', '"', (byte) 0xff, '"', ':', '1', '}'}));
    }

    @Test
    void lenientUrlPolicyAllowsLoopbackForLocalMode() throws Exception {
        var lax = new RequestValidator(new UrlPolicy(false));
        assertEquals("http://127.0.0.1:4566/foley-uploads/a.mp4",
                lax.validate(Kind.VIDEO, with("video", "\"http://127.0.0.1:4566/foley-uploads/a.mp4\"")).video());
    }
}
