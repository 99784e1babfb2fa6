package dev.foley.local.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.lifecycle.Lifecycle;
import dev.foley.local.Moto;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.WebhookState;
import dev.foley.provider.ProviderHttp;
import dev.foley.provider.emulator.ProviderEmulator.Fault;
import dev.foley.provider.emulator.ProviderEmulator.Op;
import dev.foley.provider.emulator.ProviderEmulator.Recorded;
import dev.foley.provider.emulator.ProviderEmulator.Script;
import dev.foley.provider.emulator.WaveSpeedEmulator;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Effects on schedule: a step that failed is tried again at its due time (never in a burst of loop
 * turns), a job is given up only when it is surely gone, and a finished prediction's client hears
 * first. Against a WaveSpeed emulator answering with realistic delays as well as at once. Every
 * assertion counts calls or orders events (a lower bound on the gap between calls is a burst test,
 * not a stopwatch); none asserts how long anything took.
 */
@ExtendWith(Moto.class)
class EffectsOnScheduleTest {

    static final String BODY = "{\"video\":\"https://cdn.example.com/clip.mp4\",\"prompt\":\"rain on a tin roof\",\"duration\":4}";
    static final Duration LONG = Duration.ofSeconds(120);

    static String withHook(WebhookReceiver receiver) {
        return "webhook=" + URLEncoder.encode(receiver.url("/h"), StandardCharsets.UTF_8);
    }

    /** Before: failed on the second 404, one second after the first, while the job ran on and was paid. */
    @ParameterizedTest(name = "status answered after {0} ms")
    @ValueSource(longs = {0, 400})
    void twoNotFoundsRightAfterTheSubmitThenTheTruthCompleteTheOneJob(long latencyMs) throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key");
                var st = RunningStack.start("notfound" + latencyMs, ClaimBeforeYouActTest.wavespeed(emu), ProviderHttp.Policies.DEFAULT,
                        false).withPollers(1)) {
            emu.script(Script.doneAfter(Duration.ofSeconds(3))).latency(Op.STATUS, () -> Duration.ofMillis(latencyMs));
            String notFound = "{\"code\":404,\"message\":\"prediction not found\",\"data\":null}";
            emu.failNext(Op.STATUS, Fault.status(404, notFound), Fault.status(404, notFound));
            String id = st.submitVideo(BODY).get("id").asText();
            Prediction p = st.await(id, RunningStack::settled, LONG);
            assertEquals(Phase.COMPLETED, p.phase(), p::toString);
            assertEquals(1, emu.jobsCreated(), "one paid job");
            assertEquals(0, emu.requests(Op.CANCEL).size(), "the live job was never given up");
            assertTrue(emu.requests(Op.STATUS).size() >= 3, "two 404s, then the truth");
        }
    }

    /**
     * A job given up as unknown (four "not found" strikes over 35 s) whose signed "completed"
     * callback then arrives, within the prediction's life, is adopted: the prediction completes, is
     * charged once, and its client hears "failed" then "completed" under two webhook ids. Before, the
     * callback was acknowledged and ignored: paid work lost.
     */
    @Test
    void aLateDoneCallbackAdoptsAJobGivenUpAsUnknown() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key");
                var receiver = new WebhookReceiver();
                var st = RunningStack.start("adopt", ClaimBeforeYouActTest.wavespeed(emu), ProviderHttp.Policies.DEFAULT, false)
                        .withPollers(1)) {
            emu.script(Script.neverFinishes()).latency(Op.STATUS, () -> Duration.ofMillis(150));
            String notFound = "{\"code\":404,\"message\":\"prediction not found\",\"data\":null}";
            for (int i = 0; i < Lifecycle.NOT_FOUND_LIMIT; i++) {
                emu.failNext(Op.STATUS, Fault.status(404, notFound));
            }
            String id = st.submit(dev.foley.api.FoleyApi.SUBMIT_VIDEO, BODY, withHook(receiver)).get("id").asText();
            Prediction failed = st.await(id, p -> p.phase() == Phase.FAILED && p.webhookState() == WebhookState.DELIVERED, LONG);
            assertTrue(failed.error().startsWith(Lifecycle.JOB_LOST), failed.error());
            String job = failed.job().id();
            var hook = emu.webhook(job, "completed", WaveSpeedEmulator.SECRET, java.time.Instant.now());
            var post = java.net.http.HttpRequest.newBuilder(java.net.URI.create(st.callbackBase() + "/internal/callbacks/wavespeed/" + id))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(hook.getValue())).header("content-type", "application/json");
            hook.getKey().forEach(post::header);
            assertEquals(200, java.net.http.HttpClient.newHttpClient().send(post.build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode());
            Prediction done = st.await(id, RunningStack::settled, LONG);
            assertEquals(Phase.COMPLETED, done.phase(), done::toString);
            assertEquals(4000, done.chargeMicroUsd(), "charged once, for its 4 s");
            assertEquals(1, emu.jobsCreated(), "the one paid job, kept");
            List<String> ids = receiver.received().stream().map(r -> r.headers().get("webhook-id")).toList();
            assertEquals(2, ids.size(), "told it failed, then that it completed");
            assertNotEquals(ids.get(0), ids.get(1), "each outcome under its own webhook id");
            assertEquals("completed", dev.foley.json.Json.parse(new String(receiver.received().get(1).body(), StandardCharsets.UTF_8))
                    .get("status").asText());
        }
    }

    /** Before: fetched 8 times in half a second, then not for a minute (completed 64-67 s after the job). */
    @ParameterizedTest(name = "file server answering after {0} ms")
    @ValueSource(longs = {0, 300})
    void anOutputACdnServesThreeSecondsLateIsCopiedWithinSecondsOneGetPerDueTime(long latencyMs) throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key");
                var st = RunningStack.start("cdn" + latencyMs, ClaimBeforeYouActTest.wavespeed(emu), ProviderHttp.Policies.DEFAULT, false)
                        .withPollers(1)) {
            emu.script(Script.doneAfter(Duration.ofMillis(500))).latency(Op.STATUS, () -> Duration.ofMillis(latencyMs));
            emu.filesMissingFor(Duration.ofSeconds(3));
            String id = st.submitVideo(BODY).get("id").asText();
            Prediction p = st.await(id, RunningStack::settled, LONG);
            assertEquals(Phase.COMPLETED, p.phase(), p::toString);
            // Attempts at +0, +1, +3 (maybe missing still), +7 s: at most three failed, so done within 1 + 2 + 4 s of the job.
            assertTrue(p.copyAttempts() <= 3, "copies that failed: " + p.copyAttempts() + " " + p.attempts());
            List<Long> gets = emu.fileGetTimes();
            assertTrue(gets.size() <= 4, "one GET per due time, not a burst: " + gets.size());
            for (int i = 1; i < gets.size(); i++) {
                long gapMs = (gets.get(i) - gets.get(i - 1)) / 1_000_000;
                assertTrue(gapMs >= 900, "GET " + (i + 1) + " came " + gapMs + " ms after the one before: a burst");
            }
        }
    }

    /**
     * Before: the webhook waited until the provider took the cancel (97-99 s in a 90 s outage), and
     * each round made 8 DELETEs, every 30 s.
     */
    @Test
    void cancelsDuringAnOutageAreToldAtOnceAndTriedOncePerBackoffStep() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key");
                var receiver = new WebhookReceiver();
                var st = RunningStack.start("outage", ClaimBeforeYouActTest.wavespeed(emu), ProviderHttp.Policies.DEFAULT, false)
                        .withPollers(2)) {
            emu.script(Script.neverFinishes()).latency(Op.CANCEL, () -> Duration.ofMillis(150));
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ids.add(st.submit(dev.foley.api.FoleyApi.SUBMIT_VIDEO, BODY, withHook(receiver)).get("id").asText());
            }
            for (String id : ids) {
                st.await(id, p -> p.phase() == Phase.SUBMITTED, LONG);
            }
            emu.outage(Fault.status(503, "{\"code\":503,\"message\":\"service unavailable\",\"data\":null}"), Op.CANCEL);
            for (String id : ids) {
                assertEquals(200, st.cancel(id));
            }
            for (String id : ids) {
                Prediction p = st.await(id, q -> q.webhookState() == WebhookState.DELIVERED, Duration.ofSeconds(30));
                assertEquals(Phase.CANCELLED, p.phase());
                assertFalse(p.jobs().toStop(p.phase()).isEmpty(), "told while the provider is still down: the job is not yet stopped");
            }
            assertEquals(3, receiver.received().size(), "one webhook each, while the outage lasts");
            // Let a burst show if there were one: 12 s of outage is the first two backoff steps (5 s, 15 s).
            Thread.sleep(12_000);
            Map<String, Long> perJob = emu.requests(Op.CANCEL).stream().collect(Collectors.groupingBy(Recorded::path, Collectors.counting()));
            assertEquals(3, perJob.size(), "each job's cancel was tried: " + perJob);
            perJob.forEach((path, n) -> assertTrue(n <= 3, path + ": " + n + " DELETEs in the outage's first 12 s"));
            Prediction one = st.prediction(ids.get(0));
            assertTrue(one.jobs().stopAttempts() >= 1, "failed rounds counted as attempts: " + one.jobs());
            assertTrue(one.attempts().stream().anyMatch(l -> l.contains("could not stop job")), "each failure on the record");
            emu.endOutage();
            for (String id : ids) {
                Prediction p = st.await(id, RunningStack::settled, LONG);
                assertTrue(p.jobs().toStop(p.phase()).isEmpty(), "stopped once the provider is back: " + p.jobs());
            }
            assertEquals(3, emu.jobs().stream().filter(j -> emu.job(j).cancelled).count(), "every job stopped at the provider");
            assertEquals(3, receiver.received().size(), "and no second webhook");
        }
    }

    /**
     * A 5xx storm on every call: each step is tried again at its backoff, so no prediction's calls
     * crowd into one second; and when the storm ends every prediction completes with one job.
     */
    @Test
    void aStormOfServerErrorsMakesNoBurstOfCalls() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key");
                // One poller: two pollers reading the same due check at the same moment both make it
                // (a check is a read, unclaimed by design); what is tested here is retries at their time.
                var st = RunningStack.start("storm", ClaimBeforeYouActTest.wavespeed(emu), ProviderHttp.Policies.DEFAULT, false)
                        .withPollers(1)) {
            emu.script(Script.doneAfter(Duration.ofSeconds(1))).latency(Op.STATUS, () -> Duration.ofMillis(100));
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ids.add(st.submitVideo(BODY).get("id").asText());
            }
            for (String id : ids) {
                st.await(id, p -> p.phase() == Phase.SUBMITTED, LONG);
            }
            emu.outage(Fault.status(503, "{\"code\":503,\"message\":\"busy\",\"data\":null}"), Op.STATUS);
            emu.filesMissingFor(Duration.ZERO);
            Thread.sleep(10_000);
            emu.endOutage();
            for (String id : ids) {
                Prediction p = st.await(id, RunningStack::settled, LONG);
                assertEquals(Phase.COMPLETED, p.phase(), p::toString);
            }
            assertEquals(3, emu.jobsCreated());
            Map<String, List<Long>> byJob = emu.requests(Op.STATUS).stream()
                    .collect(Collectors.groupingBy(Recorded::path, Collectors.mapping(Recorded::atNanos, Collectors.toList())));
            for (var e : byJob.entrySet()) {
                List<Long> t = e.getValue().stream().sorted().toList();
                for (int i = 3; i < t.size(); i++) {
                    // ProviderHttp tries a read three times within one step; four in one second is a burst of steps.
                    long t0 = t.get(0);
                    assertTrue(t.get(i) - t.get(i - 3) >= 1_000_000_000L, e.getKey() + ": four status calls within a second: "
                            + t.stream().map(x -> (x - t0) / 1_000_000).toList() + " " + ids.stream().map(st::prediction)
                            .filter(q -> e.getKey().contains(q.job().id())).findFirst().map(Prediction::attempts).orElse(List.of()));
                }
            }
        }
    }

    /**
     * A deadline fires on time: with a provider whose status calls hang until their timeout, no
     * status call starts after the prediction's deadline and it fails as timed out. Before, a check
     * begun before the deadline went on with its three tries (up to 24 s) past it.
     */
    @Test
    void aHangingProviderDoesNotCarryAPredictionPastItsDeadline() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key")) {
            var env = ClaimBeforeYouActTest.wavespeed(emu);
            env.put("FOLEY_DEADLINE_SECONDS", "20");
            try (var st = RunningStack.start("deadline", env, ProviderHttp.Policies.DEFAULT, false).withPollers(1)) {
                emu.script(Script.neverFinishes());
                java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
                for (int i = 0; i < 20; i++) {
                    emu.failNext(Op.STATUS, new Fault.Hold(never));
                }
                long submitted = System.nanoTime();
                String id = st.submitVideo(BODY).get("id").asText();
                Prediction p = st.await(id, q -> q.phase().terminal(), LONG);
                never.countDown();
                assertEquals(Phase.FAILED, p.phase());
                assertTrue(p.error().startsWith("timed out"), p.error());
                long deadline = submitted + Duration.ofSeconds(20).toNanos();
                for (Recorded r : emu.requests(Op.STATUS)) {
                    assertTrue(r.atNanos() < deadline + Duration.ofMillis(500).toNanos(),
                            "a status call began " + (r.atNanos() - deadline) / 1_000_000 + " ms after the deadline");
                }
                assertFalse(emu.requests(Op.STATUS).isEmpty(), "it was checked");
            }
        }
    }
}
