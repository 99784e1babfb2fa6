package dev.foley.prediction;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.json.Json;
import dev.foley.net.UrlPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Foley's media fields (original sound, format, windows) on each model: accepted where they mean something, else a 400 naming them. */
class MediaFieldsTest {

    static final RequestValidator V = new RequestValidator(new UrlPolicy(true));
    static final String VIDEO = "\"video\":\"https://cdn.example.com/clip.mp4\",\"prompt\":\"p\"";

    static String refusal(Kind kind, String body) {
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> V.validate(kind, Json.parse(body)));
        return e.errors().stream().map(f -> f.field() + ": " + f.reason()).reduce((a, b) -> a + "; " + b).orElseThrow();
    }

    @Test
    void theLongModelTakesTenMinutesAndItsWindowOptions() throws Exception {
        PredictionRequest r = V.validate(Kind.LONG, Json.parse("{" + VIDEO + "}"));
        assertEquals(0, r.duration(), "absent: the whole video");
        assertEquals(8, r.media().windowSeconds());
        assertEquals(1.0, r.media().overlapSeconds());
        assertEquals("mp4", r.media().formatFor(Kind.LONG));
        PredictionRequest s = V.validate(Kind.LONG, Json.parse("{" + VIDEO
                + ",\"duration\":600,\"window_seconds\":10,\"overlap_seconds\":0.5,\"original_audio\":\"duck\",\"output_format\":\"wav\"}"));
        assertEquals(new MediaOptions("duck", 1.0, "wav", 10, 0.5), s.media());
        assertEquals(600, s.duration());
        assertEquals(s, PredictionRequest.fromJson(Kind.LONG, s.toJson()), "stored and read back the same");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "LONG|\"duration\":601|duration: must be an integer between 1 and 600, got 601",
        "LONG|\"window_seconds\":3|window_seconds: must be an integer between 4 and 10, got 3",
        "LONG|\"window_seconds\":8.5|window_seconds: must be an integer between 4 and 10, got 8.5",
        "LONG|\"overlap_seconds\":2.5|overlap_seconds: must be a number between 0.5 and 2, got 2.5",
        "VIDEO|\"window_seconds\":8|window_seconds: only the long model cuts windows; post to /api/v3/foley/mmaudio-v2-long",
        "VIDEO|\"original_audio\":\"keep\"|original_audio: must be one of replace, mix, duck, got \"keep\"",
        "VIDEO|\"original_audio_level\":3|original_audio_level: must be a number between 0 and 2, got 3",
        "VIDEO|\"output_format\":\"ogg\"|output_format: must be one of mp4, wav, flac, mp3, m4a, got \"ogg\"",
        "VIDEO|\"output_format\":4|output_format: must be one of mp4, wav, flac, mp3, m4a, got 4",
    })
    void outOfRangeOrMisplacedIsA400NamingTheField(Kind kind, String field, String expected) {
        assertEquals(expected, refusal(kind, "{" + VIDEO + "," + field + "}"));
    }

    @Test
    void textToAudioHasNoVideoSoNoOriginalSoundAndNoMp4() throws Exception {
        assertTrue(refusal(Kind.TEXT, "{\"prompt\":\"rain\",\"original_audio\":\"mix\"}").startsWith("original_audio: not accepted by text-to-audio"));
        assertEquals("output_format: mp4 needs a video; text-to-audio makes wav, flac, mp3 or m4a",
                refusal(Kind.TEXT, "{\"prompt\":\"rain\",\"output_format\":\"mp4\"}"));
        PredictionRequest r = V.validate(Kind.TEXT, Json.parse("{\"prompt\":\"rain\",\"output_format\":\"mp3\"}"));
        assertEquals("mp3", r.media().formatFor(Kind.TEXT));
        assertTrue(r.media().needsMedia(Kind.TEXT));
        assertEquals("flac", V.validate(Kind.TEXT, Json.parse("{\"prompt\":\"rain\"}")).media().formatFor(Kind.TEXT), "as hosted");
    }

    @Test
    void theHostedDefaultsNeverReachTheMediaFunctionAndAreNotEchoed() throws Exception {
        PredictionRequest r = V.validate(Kind.VIDEO, Json.parse("{" + VIDEO + "}"));
        assertFalse(r.media().needsMedia(Kind.VIDEO));
        assertFalse(r.toJson().has("original_audio"), "the hosted echo is unchanged: " + r.toJson());
        assertFalse(r.toJson().has("output_format"));
        PredictionRequest mix = V.validate(Kind.VIDEO, Json.parse("{" + VIDEO + ",\"original_audio\":\"mix\",\"original_audio_level\":0.5}"));
        assertTrue(mix.media().needsMedia(Kind.VIDEO));
        assertEquals("mix", mix.toJson().get("original_audio").asText());
        assertEquals(mix, PredictionRequest.fromJson(Kind.VIDEO, mix.toJson()));
        assertEquals(List.of("replace", "mix", "duck"), MediaOptions.ORIGINAL_AUDIO);
    }

    @Test
    void aTypoInAMediaFieldGetsASuggestion() {
        assertEquals("output_formt: unknown field; did you mean output_format?", refusal(Kind.VIDEO, "{" + VIDEO + ",\"output_formt\":\"wav\"}"));
    }

    @Test
    void theLongModelReservesItsLimitAndChargesWhatItCovers() {
        Pricing price = new Pricing(1000);
        var r = new PredictionRequest(Kind.LONG, "https://a/v.mp4", "p", "", 25, 0, 4.5, false, null, false);
        assertEquals(600_000, price.costOf(r), "no duration: the reservation covers the 600 s limit");
        Prediction p = Prediction.builder("0123456789abcdef0123456789abcdef", "k", r, java.time.Instant.EPOCH)
                .windows(new Windows(44.2, 7, 7, 2)).build();
        assertEquals(45, Pricing.secondsOf(p), "a started second counts");
        assertEquals(45_000, price.costOf(p));
    }
}
