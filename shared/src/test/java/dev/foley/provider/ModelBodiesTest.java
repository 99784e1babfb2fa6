package dev.foley.provider;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.json.Json;
import dev.foley.model.Models;
import dev.foley.net.UrlPolicy;
import dev.foley.prediction.Kind;
import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.RequestValidator;
import org.junit.jupiter.api.Test;

/** What each provider is sent for a model beside MMAudio: the model's fields under the provider's own names. */
class ModelBodiesTest {

    static PredictionRequest request(dev.foley.model.Model m, String body) throws Exception {
        return new RequestValidator(new UrlPolicy(true)).validate(Kind.VIDEO, m.id(), Json.parse(body));
    }

    @Test
    void falGetsHunyuanAndKlingUnderItsNamesAndWaveSpeedUnderTheHostedOnes() throws Exception {
        PredictionRequest h = request(Models.HUNYUAN_FOLEY, "{\"video\":\"https://a.example/v.mp4\",\"prompt\":\"ice\",\"seed\":4,"
                + "\"enable_sync_mode\":true}");
        assertEquals("{\"video_url\":\"https://a.example/v.mp4\",\"text_prompt\":\"ice\",\"negative_prompt\":\"noisy, harsh\","
                + "\"num_inference_steps\":50,\"guidance_scale\":4.5,\"seed\":4}", Json.write(FalProvider.body(h)));
        assertEquals("{\"video\":\"https://a.example/v.mp4\",\"prompt\":\"ice\",\"negative_prompt\":\"noisy, harsh\","
                + "\"num_inference_steps\":50,\"guidance_scale\":4.5,\"seed\":4}", Json.write(WaveSpeedProvider.body(h)),
                "enable_sync_mode is Foley's to honour, never sent");
        PredictionRequest k = request(Models.KLING, "{\"video\":\"https://a.example/v.mp4\",\"bgm_prompt\":\"drums\"}");
        assertEquals("{\"video_url\":\"https://a.example/v.mp4\",\"sound_effect_prompt\":\"\",\"background_music_prompt\":\"drums\","
                + "\"asmr_mode\":false}", Json.write(FalProvider.body(k)));
        assertEquals("/fal-ai/kling-video", FalProvider.appRoot("fal-ai/kling-video/video-to-audio"), "fal's queue root for the app");
    }

    @Test
    void aSubmitSkipsAProviderThatDoesNotServeTheModel() throws Exception {
        var seen = new java.util.ArrayList<String>();
        InferenceProvider replicate = Fixtures.recording("replicate", seen);
        InferenceProvider wavespeed = Fixtures.recording("wavespeed", seen);
        ProviderChain chain = new ProviderChain(java.util.List.of(replicate, wavespeed));
        var out = chain.submit(request(Models.HUNYUAN_FOLEY, "{\"video\":\"https://a.example/v.mp4\",\"prompt\":\"p\"}"),
                n -> java.util.Optional.empty(), dev.foley.time.Deadline.in(java.time.Clock.systemUTC(), java.time.Duration.ofSeconds(5)));
        assertInstanceOf(ProviderChain.Outcome.Started.class, out);
        assertEquals(java.util.List.of("wavespeed"), seen, "replicate does not serve HunyuanVideo-Foley: never asked");
        var none = new ProviderChain(java.util.List.of(replicate)).submit(request(Models.KLING, "{\"video\":\"https://a.example/v.mp4\"}"),
                n -> java.util.Optional.empty(), dev.foley.time.Deadline.in(java.time.Clock.systemUTC(), java.time.Duration.ofSeconds(5)));
        assertInstanceOf(ProviderChain.Outcome.Rejected.class, none);
    }
}
