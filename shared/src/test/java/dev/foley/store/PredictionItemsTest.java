package dev.foley.store;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.prediction.Jobs;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Lease;
import dev.foley.prediction.MediaOptions;
import dev.foley.prediction.Notifications;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.ProviderJob;
import dev.foley.prediction.WebhookState;
import dev.foley.prediction.Windows;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The item mapping without a table: a prediction with every field set goes to an item and comes
 * back equal (a field added to {@code Prediction} and forgotten here fails this test), and where
 * an item lives (a child beside its parent, in index order).
 */
class PredictionItemsTest {

    static final Instant T = Instant.parse("2026-12-07T10:00:00.123Z");

    @Test
    void everyFieldSurvivesTheRoundTrip() {
        var media = new MediaOptions("duck", 0.5, "wav", 6, 1.5, true, -16.0, -2, 3);
        var request = new PredictionRequest(Kind.LONG, "https://a.example/v.mp4", "rain", "music", 30, 120, 5.5, true, 77, false, media);
        var job = new ProviderJob("fal", "req-1", java.util.Map.of("status", "https://queue.fal.run/x/status"));
        Prediction p = Prediction.builder("abc", "key_1", request, T)
                .keyHash("h").webhook("https://hooks.example.com/x").ingestKey("inputs/a.mp4")
                .phase(Phase.UPSTREAM_DONE).version(7).updatedAt(T.plusSeconds(5)).dueAt(T.plusSeconds(9))
                .lease(new Lease("owner-1", T.plusSeconds(30)))
                .jobs(new Jobs(job, Set.of(job, new ProviderJob("fal", "req-0", java.util.Map.of())), Set.of("fal/req-0"), 1, 2,
                        T.plusSeconds(60)))
                .checks(4).notFoundChecks(1).upstreamAt(T.plusSeconds(8)).upstreamOutputs(List.of("https://cdn/a.flac"))
                .copyAttempts(2).outputKeys(List.of("outputs/abc/0.wav")).nsfw(List.of(false)).inferenceMs(4321)
                .error("none").completedAt(T.plusSeconds(12)).chargeMicroUsd(360_000).reservedMicroUsd(1_800_000)
                .notifications(new Notifications(WebhookState.PENDING, 2, T.plusSeconds(40), true))
                .attempts(List.of("2026-12-07T10:00:01Z a line")).windows(new Windows(120.5, 54, 10, 4))
                .slot("fal").queuedAt(T.plusSeconds(1)).countedForKey(true).retryAt(T.plusSeconds(20))
                .quality(List.of("{\"sync\":null,\"flags\":[]}"))
                .build();
        var item = PredictionItems.toItem(p, Duration.ofDays(30), "3");
        Prediction back = PredictionItems.fromItem(item);
        assertEquals(p, back);
        assertEquals("3", item.get(FoleyTable.DUE_SHARD).s(), "due: in its shard of the due index");
        assertEquals(Windows.RULE, back.windows().rule());
        // A plan stored before the layout had a rule: read as rule 1, joined as it was cut.
        item.remove(PredictionItems.WINDOWS_RULE);
        assertEquals(1, PredictionItems.fromItem(item).windows().rule());
    }

    @Test
    void aChildLivesBesideItsParentInIndexOrder() {
        assertEquals(PredictionItems.address("abc").get(FoleyTable.PK), PredictionItems.address("abc_12").get(FoleyTable.PK));
        assertEquals("S#012", PredictionItems.address("abc_12").get(FoleyTable.SK).s());
        assertEquals("S#003.1", PredictionItems.address("abc_3.1").get(FoleyTable.SK).s(), "a retry beside its first attempt");
        assertTrue(PredictionItems.address("abc_3.1").get(FoleyTable.SK).s()
                .compareTo(PredictionItems.address("abc_12").get(FoleyTable.SK).s()) < 0, "sorted by index");
    }
}
