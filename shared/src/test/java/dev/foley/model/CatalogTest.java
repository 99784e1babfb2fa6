package dev.foley.model;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which models a deployment serves, and through which providers: from its providers and two settings. */
class CatalogTest {

    @Test
    void byDefaultEveryModelAConfiguredProviderServesThroughThoseProvidersInOrder() {
        Catalog c = Catalog.fromEnv(List.of("replicate", "fal"), null, "");
        assertEquals(List.of("replicate", "fal"), c.providersFor(Models.MMAUDIO_V2));
        assertEquals(List.of("fal"), c.providersFor(Models.HUNYUAN_FOLEY), "replicate does not serve it: skipped");
        assertEquals(6, c.served().size());
        Catalog replicateOnly = Catalog.fromEnv(List.of("replicate"), null, null);
        assertEquals(List.of(Models.MMAUDIO_V2, Models.MMAUDIO_V2_TEXT), replicateOnly.served());
        assertFalse(replicateOnly.serves(Models.KLING));
    }

    @Test
    void foleyModelsNarrowsTheListAndFoleyModelProvidersChoosesTheOrder() {
        Catalog c = Catalog.fromEnv(List.of("wavespeed", "fal"), "wavespeed-ai/mmaudio-v2, kwaivgi/kling-video-to-audio",
                "kwaivgi/kling-video-to-audio=fal,wavespeed");
        assertEquals(List.of(Models.MMAUDIO_V2, Models.KLING), c.served());
        assertEquals(List.of("fal", "wavespeed"), c.providersFor(Models.KLING));
        assertEquals(List.of(), c.providersFor(Models.HUNYUAN_FOLEY), "not asked for");
    }

    @Test
    void aModelOrProviderThatCannotBeServedAsAskedFailsAtStartUpNamingIt() {
        var e = assertThrows(IllegalStateException.class, () -> Catalog.fromEnv(List.of("wavespeed"), "acme/unknown", null));
        assertTrue(e.getMessage().contains("acme/unknown"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> Catalog.fromEnv(List.of("replicate"), "kwaivgi/kling-video-to-audio", null));
        assertTrue(e.getMessage().contains("no configured provider serves it"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> Catalog.fromEnv(List.of("wavespeed"), null, "kwaivgi/kling-video-to-audio=fal"));
        assertTrue(e.getMessage().contains("fal, which is not configured"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> Catalog.fromEnv(List.of("wavespeed", "replicate"), null,
                "wavespeed-ai/hunyuan-video-foley=replicate"));
        assertTrue(e.getMessage().contains("replicate does not serve"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> Catalog.fromEnv(List.of("wavespeed"), null, "kling"));
        assertTrue(e.getMessage().contains("model=provider"), e.getMessage());
    }
}
