package dev.foley.prediction;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.json.Json;
import dev.foley.net.UrlPolicy;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** {@code segments} and {@code scene_cuts}: read, stored and read back; every bad range a 400 naming its place. */
class SegmentFieldsTest {

    static final RequestValidator V = MediaFieldsTest.V;
    static final String VIDEO = MediaFieldsTest.VIDEO;

    @Test
    void segmentsAndSceneCutsAreReadStoredAndReadBack() throws Exception {
        PredictionRequest r = V.validate(Kind.LONG, Json.parse("{" + VIDEO + ",\"scene_cuts\":false,\"segments\":["
                + "{\"start\":0,\"end\":12,\"prompt\":\"rain on a tin roof\"},"
                + "{\"start\":12,\"end\":30.5,\"prompt\":\"a busy kitchen\",\"negative_prompt\":\"music\"}]}"));
        assertFalse(r.media().sceneCuts());
        assertEquals(List.of(new Segment(0, 12, "rain on a tin roof", null), new Segment(12, 30.5, "a busy kitchen", "music")),
                r.media().segments());
        var back = PredictionRequest.fromJson(Kind.LONG, r.toJson());
        assertEquals(r.media().segments(), back.media().segments(), "stored and read back the same");
        assertFalse(back.media().sceneCuts());
        assertTrue(V.validate(Kind.LONG, Json.parse("{" + VIDEO + "}")).media().sceneCuts(), "on by default");
        // Another model's long path takes them too.
        var k = V.validate(Kind.LONG, dev.foley.model.Models.KLING.id(), Json.parse("{\"video\":\"https://cdn.example.com/c.mp4\","
                + "\"segments\":[{\"start\":3,\"end\":9,\"prompt\":\"engine hum\"}]}"));
        assertEquals(1, k.media().segments().size());
        assertEquals(k.media().segments(), PredictionRequest.fromJson(Kind.LONG, dev.foley.model.Models.KLING.id(), k.toJson()).media().segments());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"segments\":{}|segments: must be an array of {start, end, prompt}, got an object",
        "\"segments\":[{\"end\":3,\"prompt\":\"a\"}]|segments[0].start: required: seconds from the start of the video",
        "\"segments\":[{\"start\":\"0\",\"end\":3,\"prompt\":\"a\"}]|segments[0].start: must be a number of seconds, got \"0\"",
        "\"segments\":[{\"start\":-1,\"end\":3,\"prompt\":\"a\"}]|segments[0].start: must be at least 0, got -1.0",
        "\"segments\":[{\"start\":4,\"end\":3,\"prompt\":\"a\"}]|segments[0].end: must be after start (4 s), got 3 s",
        "\"segments\":[{\"start\":4,\"end\":4.5,\"prompt\":\"a\"}]|segments[0].end: a segment is at least 1 s long; this one is 0.5 s",
        "\"segments\":[{\"start\":0,\"end\":5,\"prompt\":\"a\"},{\"start\":4,\"end\":8,\"prompt\":\"b\"}]|segments[1].start: segments are in order and do not overlap: starts at 4 s, before the previous one ends (5 s)",
        "\"segments\":[{\"start\":0,\"end\":5}]|segments[0].prompt: required",
        "\"segments\":[{\"start\":0,\"end\":5,\"prompt\":\" \"}]|segments[0].prompt: must not be blank",
        "\"segments\":[{\"start\":0,\"end\":5,\"prompt\":\"a\",\"propmt\":\"b\"}]|segments[0].propmt: unknown field; a segment has start, end, prompt and negative_prompt",
        "\"duration\":20,\"segments\":[{\"start\":10,\"end\":25,\"prompt\":\"a\"}]|segments[0].end: ends at 25 s, past the 20 s of video asked (duration)",
        "\"segments\":[3]|segments[0]: must be an object {start, end, prompt}, got 3",
        "\"scene_cuts\":\"no\"|scene_cuts: must be true or false, got \"no\"",
    })
    void eachBadRangeIsNamedByItsPlace(String fields, String expected) {
        assertEquals(expected, MediaFieldsTest.refusal(Kind.LONG, "{" + VIDEO + "," + fields + "}"));
    }

    @Test
    void atMostFiftySegments() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 51; i++) {
            b.append(i == 0 ? "" : ",").append("{\"start\":").append(i * 2).append(",\"end\":").append(i * 2 + 1).append(",\"prompt\":\"a\"}");
        }
        assertEquals("segments: at most 50 segments, got 51", MediaFieldsTest.refusal(Kind.LONG, "{" + VIDEO + ",\"segments\":[" + b + "]}"));
    }

    @Test
    void theShortPathRefusesWindowFieldsNamingTheLongPath() {
        String why = MediaFieldsTest.refusal(Kind.TEXT, "{\"prompt\":\"p\",\"scene_cuts\":true}");
        assertTrue(why.startsWith("scene_cuts:"), why);
    }
}
