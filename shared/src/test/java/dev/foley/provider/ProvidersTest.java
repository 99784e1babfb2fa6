package dev.foley.provider;

import dev.foley.prediction.ProviderJob;
import static org.junit.jupiter.api.Assertions.*;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Configuration by environment: the chain, and clear start-up failures. */
class ProvidersTest {

    static ProviderChain chain(Map<String, String> env) {
        return Providers.fromEnv(env, Map.of(), ProviderHttp.standard(), ProviderHttp.Policies.DEFAULT, Clock.systemUTC());
    }

    @Test
    void falsStorageIsOnItsRestHostUnlessAProxyServesBoth() {
        FalProvider real = (FalProvider) chain(Map.of("FOLEY_PROVIDER", "fal", "FAL_KEY", "k", "FAL_BASE_URL", "https://queue.fal.run"))
                .primary();
        assertEquals(java.net.URI.create("https://rest.fal.ai"), real.restBase(), "the template sets FAL_BASE_URL to fal's queue");
        FalProvider proxied = (FalProvider) chain(Map.of("FOLEY_PROVIDER", "fal", "FAL_KEY", "k", "FAL_BASE_URL",
                "http://127.0.0.1:9000")).primary();
        assertEquals(java.net.URI.create("http://127.0.0.1:9000"), proxied.restBase());
        FalProvider named = (FalProvider) chain(Map.of("FOLEY_PROVIDER", "fal", "FAL_KEY", "k", "FAL_REST_BASE_URL",
                "https://storage.example.com")).primary();
        assertEquals(java.net.URI.create("https://storage.example.com"), named.restBase());
    }

    @Test
    void primaryThenFallbacksInOrder() {
        ProviderChain c = chain(Map.of("FOLEY_PROVIDER", "replicate", "FOLEY_PROVIDER_FALLBACK", "fal, wavespeed",
                "REPLICATE_API_TOKEN", "r", "FAL_KEY", "f", "WAVESPEED_API_KEY", "w"));
        assertEquals(List.of("replicate", "fal", "wavespeed"), c.all().stream().map(InferenceProvider::name).toList());
    }

    @Test
    void aChosenProviderWithoutItsKeyFailsAtStartUpSayingWhich() {
        var e = assertThrows(IllegalStateException.class, () -> chain(Map.of("FOLEY_PROVIDER", "fal")));
        assertEquals("provider fal is configured but FAL_KEY is not set", e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> chain(Map.of("FOLEY_PROVIDER", "wavespeed",
                "WAVESPEED_API_KEY", "w", "FOLEY_PROVIDER_FALLBACK", "replicate")));
        assertTrue(e.getMessage().contains("REPLICATE_API_TOKEN"));
    }

    @Test
    void unknownNamesBadUrlsAndLocalOutsideLocalModeAreRefused() {
        assertTrue(assertThrows(IllegalStateException.class, () -> chain(Map.of("FOLEY_PROVIDER", "openai")))
                .getMessage().contains("unknown provider 'openai'"));
        assertTrue(assertThrows(IllegalStateException.class, () -> chain(Map.of())).getMessage()
                .contains("local mode"), "the default, local, exists only in local mode");
        assertTrue(assertThrows(IllegalStateException.class, () -> chain(Map.of("FOLEY_PROVIDER", "fal", "FAL_KEY", "k",
                "FAL_BASE_URL", "not a url"))).getMessage().contains("FAL_BASE_URL"));
    }

    @Test
    void extrasProvideLocal() {
        var local = new InferenceProvider() {
            public String name() {
                return "local";
            }

            public ProviderJob submit(dev.foley.prediction.PredictionRequest r, java.util.Optional<java.net.URI> c,
                    dev.foley.time.Deadline until) {
                throw new UnsupportedOperationException();
            }

            public JobStatus check(ProviderJob j, dev.foley.time.Deadline until) {
                throw new UnsupportedOperationException();
            }

            public CancelOutcome cancel(ProviderJob j, dev.foley.time.Deadline until) {
                return CancelOutcome.NOT_SUPPORTED;
            }

            public JobUpdate verifyCallback(Map<String, String> h, byte[] b) throws InvalidCallbackException {
                throw new InvalidCallbackException("no");
            }
        };
        ProviderChain c = Providers.fromEnv(Map.of(), Map.of("local", () -> local), ProviderHttp.standard(),
                ProviderHttp.Policies.DEFAULT, Clock.systemUTC());
        assertSame(local, c.primary());
    }
}
