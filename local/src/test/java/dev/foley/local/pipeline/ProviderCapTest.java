package dev.foley.local.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.api.FoleyApi;
import dev.foley.local.Moto;
import dev.foley.local.bench.Clips;
import dev.foley.local.generator.MediaServer;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.provider.emulator.ProviderEmulator.Op;
import dev.foley.provider.emulator.ProviderEmulator.Script;
import dev.foley.provider.emulator.WaveSpeedEmulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, item 12: {@code FOLEY_PROVIDER_MAX_IN_FLIGHT}. Beyond the cap predictions wait
 * {@code created}, are handed over oldest first as slots free, are neither failed nor sent to be
 * refused, and long videos' windows take slots from the same cap. The stand-in answers submits after
 * 0.1–0.5 s and runs each job 1.5 s.
 */
@ExtendWith(Moto.class)
class ProviderCapTest {

    @TempDir
    static Path dir;

    static WaveSpeedEmulator emulator() throws Exception {
        WaveSpeedEmulator emu = new WaveSpeedEmulator("ws-key");
        emu.script(Script.doneAfter(Duration.ofMillis(1500)))
                .latency(Op.SUBMIT, () -> Duration.ofMillis(ThreadLocalRandom.current().nextLong(100, 500)));
        return emu;
    }

    @Test
    void beyondTheCapPredictionsWaitCreatedAndGoOldestFirst() throws Exception {
        try (var emu = emulator()) {
            Map<String, String> env = new HashMap<>(ClaimBeforeYouActTest.wavespeed(emu));
            env.put("FOLEY_PROVIDER_MAX_IN_FLIGHT", "wavespeed=2");
            try (var st = RunningStack.start("cap", env, dev.foley.provider.ProviderHttp.Policies.DEFAULT, false).withPollers(1)) {
                List<String> ids = new ArrayList<>();
                List<String> statuses = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    var data = st.submitVideo("{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"rain " + i + "\",\"duration\":4}");
                    ids.add(data.get("id").asText());
                    statuses.add(data.get("status").asText());
                }
                assertTrue(statuses.contains("created"), "past the cap the answer is created, not failed: " + statuses);
                for (String id : ids) {
                    Prediction p = st.await(id, RunningStack::settled, Duration.ofMinutes(2));
                    assertEquals(Phase.COMPLETED, p.phase(), p::toString);
                }
                assertTrue(emu.maxInFlight() <= 2, "never more than the cap at the provider: " + emu.maxInFlight());
                assertEquals(2, emu.maxInFlight(), "and the cap is used");
                assertEquals(8, emu.requests(Op.SUBMIT).size(), "one submit each: nothing sent to be refused");
                List<Integer> order = emu.requests(Op.SUBMIT).stream()
                        .map(r -> Integer.parseInt(r.json().get("prompt").asText().substring(5))).toList();
                // Two go at once (their submits may cross on the wire); after that, each freed slot goes to the oldest waiter.
                for (int i = 2; i < order.size(); i++) {
                    assertTrue(order.get(i) >= order.subList(0, i).stream().mapToInt(Integer::intValue).max().getAsInt() - 1,
                            "handed over in order: " + order);
                }
                assertEquals(0, st.foley.predictions().slots().slotsHeld("wavespeed"), "every slot given back");
                Prediction waited = st.prediction(ids.get(7));
                assertNotNull(waited.queuedAt(), "the last one waited");
                assertTrue(waited.attempts().stream().anyMatch(l -> l.contains("waiting: wavespeed has 2 at work")), waited.attempts()::toString);
            }
        }
    }

    @Test
    void aCancelledWaiterAndACancelledJobGiveTheirSlotsBack() throws Exception {
        try (var emu = emulator()) {
            emu.script(Script.neverFinishes());
            Map<String, String> env = new HashMap<>(ClaimBeforeYouActTest.wavespeed(emu));
            env.put("FOLEY_PROVIDER_MAX_IN_FLIGHT", "1");
            try (var st = RunningStack.start("capfree", env, dev.foley.provider.ProviderHttp.Policies.DEFAULT, false).withPollers(1)) {
                String first = st.submitVideo("{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"one\",\"duration\":4}").get("id").asText();
                st.await(first, p -> p.phase() == Phase.SUBMITTED, Duration.ofSeconds(30));
                String waiting = st.submitVideo("{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"two\",\"duration\":4}").get("id").asText();
                assertEquals(Phase.ACCEPTED, st.prediction(waiting).phase());
                assertEquals(1, st.foley.predictions().slots().slotsHeld("wavespeed"));
                assertEquals(200, st.cancel(waiting), "a waiter can be cancelled");
                emu.script(Script.doneAfter(Duration.ofMillis(300)));
                String third = st.submitVideo("{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"three\",\"duration\":4}").get("id").asText();
                assertEquals(200, st.cancel(first), "the running one is cancelled: its slot goes back");
                Prediction p = st.await(third, RunningStack::settled, Duration.ofMinutes(1));
                assertEquals(Phase.COMPLETED, p.phase(), p::toString);
                assertEquals(Phase.CANCELLED, st.prediction(waiting).phase());
                assertEquals(2, emu.requests(Op.SUBMIT).size(), "the cancelled waiter never reached the provider");
                st.await(first, RunningStack::settled, Duration.ofSeconds(30));
                assertEquals(0, st.foley.predictions().slots().slotsHeld("wavespeed"), "every slot given back");
            }
        }
    }

    @Test
    void aLongVideosWindowsShareTheCapWithShortPredictions() throws Exception {
        Clips.bounce(dir.resolve("20s.mp4"), 320, 240, 25, 20, new double[] {3, 11, 17}, 0, 0);
        byte[] windowOutput = Files.readAllBytes(Clips.bounce(dir.resolve("window-out.mp4"), 160, 120, 25, 8, new double[] {4}, 220, 0.2));
        try (var emu = emulator(); MediaServer media = new MediaServer().serving(dir)) {
            emu.filesFrom(name -> windowOutput);
            Map<String, String> env = new HashMap<>(Moto.wavespeed(emu));
            env.put("FOLEY_STRICT_URLS", "false");
            env.put("FOLEY_WINDOW_CONCURRENCY", "4");
            env.put("FOLEY_PROVIDER_MAX_IN_FLIGHT", "2");
            try (var st = RunningStack.start("capwin", env, all -> Moto.providers(all), true).withMedia(dir.resolve("media")).withPollers(1)) {
                String longId = st.submit(FoleyApi.SUBMIT_LONG, "{\"video\":\"" + media.fileUrl("20s.mp4")
                        + "\",\"prompt\":\"footsteps on gravel\"}", null).get("id").asText();
                List<String> shorts = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    shorts.add(st.submitVideo("{\"video\":\"" + media.fileUrl("20s.mp4") + "\",\"prompt\":\"rain\",\"duration\":4}")
                            .get("id").asText());
                }
                assertEquals(Phase.COMPLETED, st.await(longId, RunningStack::settled, Duration.ofMinutes(3)).phase());
                for (String id : shorts) {
                    assertEquals(Phase.COMPLETED, st.await(id, RunningStack::settled, Duration.ofMinutes(2)).phase());
                }
                assertTrue(emu.maxInFlight() <= 2, "windows and short predictions together stay under the cap: " + emu.maxInFlight());
                assertEquals(0, st.foley.predictions().slots().slotsHeld("wavespeed"));
            }
        }
    }
}
