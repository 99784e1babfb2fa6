package dev.foley.lifecycle;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.prediction.Kind;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.Windows;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a long prediction does next, from its windows as stored: no table, no provider. */
class WindowRulesTest {

    static final String ID = "0123456789abcdef0123456789abcdef";
    static final Windows PLAN = new Windows(45, 7, 0, 2);
    static final List<Windows.Window> CUT = Windows.plan(45, 8, 1);

    static Prediction window(String suffix, Phase phase, String output) {
        var r = new PredictionRequest(Kind.VIDEO, "foley-work:x", "p", "", 25, 8, 4.5, false, null, false);
        return Prediction.builder(ID + "_" + suffix, null, r, Instant.EPOCH).phase(phase)
                .outputKeys(output == null ? List.of() : List.of(output)).error(phase == Phase.FAILED ? "boom" : "").build();
    }

    @Test
    void startsTheFirstWindowsUpToTheConcurrency() {
        var g = (WindowRules.Gathered.Going) WindowRules.gather(PLAN, CUT, List.of());
        assertEquals(List.of(new WindowRules.Start(0, 0), new WindowRules.Start(1, 0)), g.start());
        assertEquals(0, g.done());
    }

    @Test
    void aFinishedWindowMakesRoomForTheNextAndNothingIsStartedTwice() {
        var stored = List.of(window("0", Phase.COMPLETED, "k0"), window("1", Phase.SUBMITTED, null));
        var g = (WindowRules.Gathered.Going) WindowRules.gather(PLAN, CUT, stored);
        assertEquals(List.of(new WindowRules.Start(2, 0)), g.start());
        assertEquals(1, g.done());
        var full = List.of(window("0", Phase.SUBMITTED, null), window("1", Phase.ACCEPTED, null));
        assertEquals(List.of(), ((WindowRules.Gathered.Going) WindowRules.gather(PLAN, CUT, full)).start(), "at the cap: wait");
        var copying = List.of(window("0", Phase.UPSTREAM_DONE, null), window("1", Phase.SUBMITTED, null));
        var c = (WindowRules.Gathered.Going) WindowRules.gather(PLAN, CUT, copying);
        assertEquals(List.of(new WindowRules.Start(2, 0)), c.start(), "a window being copied has left the provider: its slot is free");
        assertEquals(0, c.done(), "but it is not done until its sound is in our bucket");
    }

    @Test
    void aFailedWindowIsTriedOnceMoreThenFailsThePrediction() {
        var once = List.of(window("0", Phase.FAILED, null), window("1", Phase.SUBMITTED, null));
        var g = (WindowRules.Gathered.Going) WindowRules.gather(PLAN, CUT, once);
        assertEquals(List.of(new WindowRules.Start(0, 1)), g.start());
        assertEquals(ID + "_0.1", g.start().get(0).idIn(ID));
        var twice = List.of(window("0", Phase.FAILED, null), window("0.1", Phase.FAILED, null), window("1", Phase.SUBMITTED, null));
        var f = (WindowRules.Gathered.Fail) WindowRules.gather(PLAN, CUT, twice);
        assertTrue(f.reason().startsWith("window 1 of 7 (0.0–8.0 s) failed 2 times: boom"), f.reason());
        var retried = List.of(window("0", Phase.FAILED, null), window("0.1", Phase.COMPLETED, "k0"), window("1", Phase.COMPLETED, "k1"));
        var r = (WindowRules.Gathered.Going) WindowRules.gather(PLAN, CUT, retried);
        assertEquals(2, r.done(), "the retry's success counts");
    }

    @Test
    void allDoneHandsTheirSoundInWindowOrder() {
        List<Prediction> stored = new ArrayList<>();
        for (int i = 6; i >= 0; i--) {
            stored.add(window(i == 3 ? "3.1" : String.valueOf(i), Phase.COMPLETED, "k" + i));
        }
        stored.add(window("3", Phase.FAILED, null));
        var d = (WindowRules.Gathered.AllDone) WindowRules.gather(PLAN, CUT, stored);
        assertEquals(List.of("k0", "k1", "k2", "k3", "k4", "k5", "k6"), d.audio());
    }

    @Test
    void aLongPredictionHasADeadlinePerRoundOfWindows() {
        var r = new PredictionRequest(Kind.LONG, "https://a/v.mp4", "p", "", 25, 0, 4.5, false, null, false);
        Prediction uncut = Prediction.builder(ID, "k", r, Instant.EPOCH).build();
        assertEquals(Instant.EPOCH.plusSeconds(900), WindowRules.deadlineOf(uncut, java.time.Duration.ofSeconds(900)));
        Prediction cut = uncut.toBuilder().windows(PLAN).build();
        assertEquals(Instant.EPOCH.plusSeconds(900L * (1 + 4)), WindowRules.deadlineOf(cut, java.time.Duration.ofSeconds(900)));
    }
}
