package dev.foley.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.prediction.Kind;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The model registry: one entry per model, its paths and parameters consistent. */
class ModelsTest {

    @Test
    void eachKindsModelIsInTheRegistryUnderTheIdTheApiShows() {
        assertEquals(Models.MMAUDIO_V2, Kind.VIDEO.spec());
        assertEquals(Models.MMAUDIO_V2_TEXT, Kind.TEXT.spec());
        assertEquals(Kind.VIDEO.model(), Kind.VIDEO.spec().id());
        assertEquals(Kind.TEXT.model(), Kind.TEXT.spec().id());
        assertEquals(Kind.LONG.model(), Models.MMAUDIO_V2.longPath().orElseThrow(), "the long path is derived from the video model's id");
        assertTrue(Models.MMAUDIO_V2_TEXT.longPath().isEmpty(), "text to audio has no video to cut");
    }

    @Test
    void idsAreUniqueAndParametersAreWellFormed() {
        Set<String> ids = new HashSet<>();
        for (Model m : Models.ALL) {
            assertTrue(ids.add(m.id()), "one entry per model: " + m.id());
            assertEquals(m, Models.byId(m.id()).orElseThrow());
            Set<String> names = new HashSet<>();
            for (Param p : m.params()) {
                assertTrue(names.add(p.name()), m.id() + ": " + p.name() + " once");
                if (p.min() != null && p.max() != null) {
                    assertTrue(p.min() <= p.max(), m.id() + "." + p.name());
                }
                if (p.defaultValue() instanceof Number d && p.min() != null) {
                    assertTrue(d.doubleValue() >= p.min() && d.doubleValue() <= p.max(), m.id() + "." + p.name() + " default in range");
                }
            }
            assertEquals("video".equals(m.input()), names.contains("video"), m.id() + ": a video model takes a video, text does not");
            assertTrue(m.limits().minSeconds() >= 1 && m.limits().minSeconds() <= m.limits().maxSeconds(), m.id());
            assertFalse(m.providers().isEmpty(), m.id() + " is served by someone");
        }
    }

    @Test
    void theLongPathsDurationIsTheWholeVideoByDefaultAndAtMostItsLimit() {
        Param d = Models.longDuration(Models.MMAUDIO_V2);
        assertEquals(1, d.minInt());
        assertEquals(600, d.maxInt());
        assertNull(d.defaultValue());
        assertEquals(8, Models.MMAUDIO_V2.limits().bestWindow(), "MMAudio was trained on 8 s clips");
    }

    @Test
    void theListShowsPathsParametersAndPrice() {
        var n = Models.MMAUDIO_V2.json(java.util.List.of("wavespeed"));
        assertEquals("/api/v3/wavespeed-ai/mmaudio-v2", n.get("path").asText());
        assertEquals("/api/v3/foley/mmaudio-v2-long", n.get("long_path").asText());
        assertEquals("0.001", n.at("/price/usd").asText());
        assertEquals("second", n.at("/price/unit").asText());
        var steps = n.get("parameters").get(3);
        assertEquals("num_inference_steps", steps.get("name").asText());
        assertEquals(4, steps.get("minimum").asInt());
        assertEquals(50, steps.get("maximum").asInt());
        assertEquals(25, steps.get("default").asInt());
        assertEquals(44_100, n.at("/output/sample_rate").asInt());
    }

    @Test
    void everyRoleIsACommonPartOfAParameterTheModelHasAndEveryProviderNameIsForOne() {
        for (Model m : Models.ALL) {
            m.roles().forEach((hosted, common) -> {
                assertTrue(m.has(hosted), m.id() + ": role of " + hosted + ", which it does not take");
                assertTrue(Model.COMMON.contains(common), m.id() + ": " + common + " is not a common part");
            });
            assertEquals(m.roles().size(), new HashSet<>(m.roles().values()).size(), m.id() + ": one parameter per part");
            m.fieldNames().forEach((provider, names) -> {
                assertTrue(m.providers().containsKey(provider), m.id() + ": names for " + provider + ", which does not serve it");
                names.keySet().forEach(n -> assertTrue(m.has(n), m.id() + ": " + provider + " renames " + n + ", which it does not take"));
            });
            if ("video".equals(m.input())) {
                assertTrue(m.longPath().isPresent() && m.limits().minWindow() <= m.limits().bestWindow()
                        && m.limits().bestWindow() <= m.limits().maxWindow(), m.id() + ": its windows");
            }
        }
        assertEquals(List.of("video", "sound_effect_prompt"), Models.KLING.roles().entrySet().stream()
                .filter(e -> !e.getKey().equals("enable_sync_mode")).map(java.util.Map.Entry::getKey).sorted(java.util.Comparator.reverseOrder()).toList(),
                "Kling's prompt is its sound effect prompt; its music prompt is its own");
    }
}
