package dev.foley.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.json.Json;
import dev.foley.lifecycle.WindowRules;
import dev.foley.prediction.Kind;
import dev.foley.prediction.MediaOptions;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.Windows;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A prediction's children without a table: which, their names, their requests, their seeds in the report. */
class ChildrenTest {

    static final Instant NOW = Instant.parse("2026-12-07T00:00:00Z");

    static Prediction longWithTakes(int takes, Integer seed) {
        var media = new MediaOptions("replace", 1, null, 8, 1, true, null, -1, takes);
        var r = new PredictionRequest(Kind.LONG, "https://a.example/v.mp4", "steps", "", 25, 0, 4.5, false, seed, false, media);
        return Prediction.builder("p1", "k1", r, NOW).windows(new Windows(20, 3 * takes, 0, 2)).build();
    }

    static Prediction shortWithTakes(int takes, Integer seed) {
        var media = new MediaOptions("replace", 1, null, 8, 1, true, null, -1, takes);
        return Prediction.builder("p2", "k1", new PredictionRequest(Kind.VIDEO, "https://a.example/v.mp4", "steps", "", 25, 6, 4.5,
                false, seed, false, media), NOW).build();
    }

    @Test
    void aLongVideosTakesAreEachWindowRepeatedInOrder() {
        List<Windows.Window> c = Children.of(longWithTakes(2, 100));
        assertEquals(6, c.size(), "three windows of 20 s, two takes each");
        assertEquals(List.of(0, 0, 1, 1, 2, 2), c.stream().map(Windows.Window::index).toList());
        assertEquals(14.0, c.get(5).start(), 1e-9, "one shot: windows every 7 s from its start, the last 14-20 s");
        assertEquals(20.0, c.get(5).end(), 1e-9, "the last window ends at the end");
        List<Windows.Window> shortTakes = Children.of(shortWithTakes(3, null));
        assertEquals(3, shortTakes.size());
        assertTrue(shortTakes.stream().allMatch(w -> w.start() == 0 && w.length() == 6), "each take is the whole clip");
    }

    @Test
    void childrenAreNamedAsAUserCountsThem() {
        Prediction p = longWithTakes(2, 100);
        var c = Children.of(p);
        assertEquals("window 1 of 3 (0.0–8.0 s), take 1 of 2", Children.name(p, c, 0));
        assertEquals("window 2 of 3 (7.0–15.0 s), take 2 of 2", Children.name(p, c, 3));
        Prediction one = longWithTakes(1, 100);
        assertEquals("window 3 of 3 (14.0–20.0 s)", Children.name(one, Children.of(one), 2));
        Prediction s = shortWithTakes(3, null);
        assertEquals("take 3 of 3", Children.name(s, Children.of(s), 2));
    }

    @Test
    void eachChildsRequestIsItsClipAndItsSeed() {
        Prediction p = longWithTakes(2, 100);
        var c = Children.of(p);
        AtomicInteger random = new AtomicInteger(9000);
        Prediction w1t0 = Children.child(p, new WindowRules.Start(2, 0), c.get(2), NOW, random::incrementAndGet);
        Prediction w1t1 = Children.child(p, new WindowRules.Start(3, 1), c.get(3), NOW, random::incrementAndGet);
        assertEquals("p1_2", w1t0.id());
        assertEquals("p1_3.1", w1t1.id(), "a retry's id says its attempt");
        assertEquals(MediaWork.WORK_REF + MediaWork.windowClipKey("p1", 1), w1t0.request().video(), "window 1's clip");
        assertEquals(w1t0.request().video(), w1t1.request().video(), "both takes of a window are its clip");
        assertEquals(Kind.VIDEO, w1t0.request().kind());
        assertEquals(8, w1t0.request().duration());
        assertEquals(Windows.seedOf(100, 1), w1t0.request().seed(), "take 1 of a window keeps the seed one take would have");
        assertNotEquals(w1t0.request().seed(), w1t1.request().seed(), "take 2 has a seed of its own");
        assertEquals(Windows.seedOf(Windows.seedOf(100, 1), 1), w1t1.request().seed());
        assertEquals(9000, random.get(), "a seeded request draws no random seed");

        Prediction s = shortWithTakes(3, null);
        var sc = Children.of(s);
        Prediction t0 = Children.child(s, new WindowRules.Start(0, 0), sc.get(0), NOW, random::incrementAndGet);
        Prediction t1 = Children.child(s, new WindowRules.Start(1, 0), sc.get(1), NOW, random::incrementAndGet);
        assertEquals("https://a.example/v.mp4", t0.request().video(), "a take is the whole request");
        assertEquals(6, t0.request().duration());
        assertEquals(List.of(9001, 9002), List.of(t0.request().seed(), t1.request().seed()), "takes without a seed: distinct random ones");
    }

    @Test
    void seedsGoIntoTheReportOfEachTakeAndEachWindowsTakes() {
        String shortReport = "{\"sync\":null,\"take\":{\"index\":1,\"score\":0.5}}";
        String longReport = "{\"sync\":null,\"windows\":[{\"index\":0,\"takes\":[{\"index\":0},{\"index\":1}]},"
                + "{\"index\":1,\"takes\":[{\"index\":0},{\"index\":1}]}]}";
        Map<Integer, Integer> seeds = new java.util.HashMap<>(Map.of(0, 10, 1, 11, 2, 12));
        seeds.put(3, null); // a seed never sent to the provider
        List<String> out = Children.withSeeds(List.of(shortReport, longReport), seeds, 2);
        assertEquals(11, Json.parse(out.get(0)).at("/take/seed").asInt());
        var windows = Json.parse(out.get(1)).get("windows");
        assertEquals(10, windows.at("/0/takes/0/seed").asInt());
        assertEquals(11, windows.at("/0/takes/1/seed").asInt());
        assertEquals(12, windows.at("/1/takes/0/seed").asInt(), "window 1's take 0 is child 2");
        assertTrue(windows.at("/1/takes/1/seed").isNull(), "child 3's seed was never sent: null, not made up");
    }
}
