package dev.foley.local.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.json.Json;
import dev.foley.local.Moto;
import dev.foley.pipeline.Poller;
import dev.foley.prediction.IdGenerator;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.WebhookState;
import dev.foley.provider.ProviderHttp;
import dev.foley.provider.emulator.FalEmulator;
import dev.foley.provider.emulator.ProviderEmulator;
import dev.foley.provider.emulator.ProviderEmulator.Fault;
import dev.foley.provider.emulator.ProviderEmulator.Op;
import dev.foley.provider.emulator.ProviderEmulator.Script;
import dev.foley.provider.emulator.ReplicateEmulator;
import dev.foley.provider.emulator.WaveSpeedEmulator;
import dev.foley.store.WebhookAttempts;
import dev.foley.time.Deadline;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * "Claim, then act, then record", against provider emulators that behave like real services: slow
 * to answer (the job exists from the moment the request arrives), jobs that take their time,
 * callbacks pushed when they end. Every count here is of calls the emulator received: provider
 * jobs paid for, cancels, webhook deliveries. Nothing is timed.
 */
@ExtendWith(Moto.class)
class ClaimBeforeYouActTest {

    static final String BODY = "{\"video\":\"https://cdn.example.com/clip.mp4\",\"prompt\":\"rain on a tin roof\",\"duration\":4}";
    static final Duration LONG = Duration.ofSeconds(90);

    /** Short submit timeouts, so "past the timeout" is a second and a half. */
    static final ProviderHttp.Policies ONE_SECOND = new ProviderHttp.Policies(
            new ProviderHttp.Policy(2, Duration.ofMillis(50), Duration.ofSeconds(1), Duration.ofSeconds(1)),
            ProviderHttp.Policy.READ);

    static Map<String, String> wavespeed(WaveSpeedEmulator emu) {
        return new HashMap<>(Map.of("FOLEY_PROVIDER", "wavespeed", "WAVESPEED_BASE_URL", emu.baseUrl(), "WAVESPEED_API_KEY", "ws-key",
                "WAVESPEED_WEBHOOK_SECRET", WaveSpeedEmulator.SECRET));
    }

    static List<String> parallel(int n, java.util.function.IntFunction<String> task) throws Exception {
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                fs.add(ex.submit(() -> task.apply(k)));
            }
            List<String> out = new ArrayList<>();
            for (Future<String> f : fs) {
                out.add(f.get());
            }
            return out;
        }
    }

    // ---- one paid job per prediction ----

    @ParameterizedTest(name = "provider answering after {0} ms")
    @ValueSource(longs = {50, 300, 1500, 4000})
    void theApiThePollerAndIngestSubmitEachPredictionOnce(long latencyMs) throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key");
                var st = RunningStack.start("once", wavespeed(emu), ProviderHttp.Policies.DEFAULT, false).withPollers(1)) {
            emu.script(Script.doneAfter(Duration.ofMillis(500))).latency(Op.SUBMIT, () -> Duration.ofMillis(latencyMs));
            var s3 = dev.foley.local.LocalFoley.sdkS3(st.settings);
            var clip = Moto.projectRoot().resolve("local/src/test/resources/media/bounce-4s.mp4");
            List<String> ids = parallel(10, i -> {
                if (i < 5) {
                    return st.submitVideo(BODY).get("id").asText();
                }
                if (i < 8) { // sync mode: the same request waits for the result
                    String sync = BODY.replace("}", ",\"enable_sync_mode\":true}");
                    return st.submitVideo(sync).get("id").asText();
                }
                String key = "inputs/once-" + i + ".mp4"; // an S3 upload, handed to ingest as its trigger would
                s3.putObject(r -> r.bucket(st.settings.uploadsBucket()).key(key).metadata(Map.of("prompt", "rain", "duration", "4")), clip);
                assertEquals(dev.foley.ingest.Ingest.Outcome.STARTED, st.foley.ingest().onObjectCreated(st.settings.uploadsBucket(), key));
                return st.foley.predictions().list(st.foley.keys().list().get(0).keyId(), 100, null).items().stream()
                        .filter(p -> key.equals(p.ingestKey())).findFirst().orElseThrow().id();
            });
            for (String id : ids) {
                Prediction p = st.await(id, RunningStack::settled, LONG);
                assertEquals(Phase.COMPLETED, p.phase(), p::toString);
                assertEquals(1, p.jobs().started().size(), "one job on the record: " + p.jobs());
            }
            assertEquals(10, emu.jobsCreated(), "ten predictions, ten paid jobs, whoever raced to submit them");
            assertEquals(10, emu.requests(Op.SUBMIT).size());
        }
    }

    @ParameterizedTest(name = "{0} pollers started together")
    @ValueSource(ints = {2, 4})
    void pollersStartedTogetherOverTheSameAcceptedPredictionsSubmitEachOnce(int pollers) throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key");
                var st = RunningStack.start("pollers", wavespeed(emu), ProviderHttp.Policies.DEFAULT, false)) {
            emu.script(Script.neverFinishes()).latency(Op.SUBMIT, () -> Duration.ofMillis(300));
            // 30 s of audio: the first status check comes 18 s after the submit, so this measures submits alone.
            var req = new PredictionRequest(Kind.VIDEO, "https://cdn.example.com/a.mp4", "rain", "", 25, 30, 4.5, false, null, false);
            List<String> ids = new ArrayList<>();
            Instant now = Instant.now();
            for (int i = 0; i < 200; i++) {
                Prediction p = Prediction.accepted(IdGenerator.random().next(), "k", req, null, now); // stored, not yet claimed
                st.foley.predictions().create(p, null);
                ids.add(p.id());
            }
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < pollers; i++) {
                Poller p = st.foley.poller(16, Duration.ofSeconds(60));
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                        p.runFor(Duration.ofSeconds(60), Duration.ofMillis(100), Deadline.in(Clock.systemUTC(), Duration.ofSeconds(90)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt(); // stopped by the test once everything is submitted
                    }
                }));
            }
            go.countDown();
            for (String id : ids) {
                st.await(id, p -> p.phase() == Phase.SUBMITTED, LONG);
            }
            threads.forEach(Thread::interrupt);
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(200, emu.requests(Op.SUBMIT).size(), "each of 200 predictions submitted once by " + pollers + " pollers");
        }
    }

    @Test
    void aSubmitPastItsTimeoutIsRetriedOnceInItsLifeThenFailsClearly() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key"); var st = RunningStack.start("late", wavespeed(emu), ONE_SECOND, false).withPollers(1)) {
            emu.script(Script.doneAfter(Duration.ofMillis(300))).latency(Op.SUBMIT, () -> Duration.ofMillis(1500));
            List<String> ids = parallel(4, i -> st.submitVideo(BODY).get("id").asText());
            for (String id : ids) {
                Prediction p = st.await(id, RunningStack::settled, LONG);
                assertEquals(Phase.FAILED, p.phase(), p::toString);
                assertTrue(p.error().contains("so as not to pay twice"), p.error());
                assertEquals(2, p.jobs().unconfirmed(), "both submits stay counted");
                assertEquals(2, p.attempts().stream().filter(a -> a.contains("a job may exist")).count(), p.attempts().toString());
            }
            assertEquals(8, emu.jobsCreated(), "at most two jobs each: never a third submit (was 26)");
        }
    }

    @Test
    void withPushesALateSubmitsJobIsAdoptedFromItsCallbackAndNotPaidTwice() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key"); var st = RunningStack.start("adopt", wavespeed(emu), ONE_SECOND, true).withPollers(1)) {
            emu.script(Script.doneAfter(Duration.ofMillis(1200))).latency(Op.SUBMIT, () -> Duration.ofMillis(1500));
            List<String> ids = parallel(3, i -> st.submitVideo(BODY).get("id").asText());
            for (String id : ids) {
                Prediction p = st.await(id, RunningStack::settled, LONG);
                assertEquals(Phase.COMPLETED, p.phase(), p::toString);
                assertTrue(p.attempts().stream().anyMatch(a -> a.contains("adopted")), p.attempts().toString());
            }
            assertEquals(3, emu.jobsCreated(), "the callback named the job: no second submit");
            assertEquals(3, emu.pushed());
        }
    }

    // ---- stopping what is not needed ----

    @Test
    void cancelledPredictionsHaveTheirJobsStoppedAtEveryProvider() throws Exception {
        try (var ws = new WaveSpeedEmulator("ws-key"); var fal = new FalEmulator("fal-key"); var rep = new ReplicateEmulator("r-key")) {
            Map<String, Map<String, String>> envs = Map.of(
                    "wavespeed", wavespeed(ws),
                    "fal", Map.of("FOLEY_PROVIDER", "fal", "FAL_KEY", "fal-key", "FAL_BASE_URL", fal.baseUrl(), "FAL_JWKS_URL", fal.jwksUrl()),
                    "replicate", Map.of("FOLEY_PROVIDER", "replicate", "REPLICATE_API_TOKEN", "r-key", "REPLICATE_BASE_URL", rep.baseUrl(),
                            "REPLICATE_MODEL_VERSION", "v1", "REPLICATE_WEBHOOK_SECRET", ReplicateEmulator.SECRET));
            Map<String, ProviderEmulator> emus = Map.of("wavespeed", ws, "fal", fal, "replicate", rep);
            for (var e : envs.entrySet()) {
                ProviderEmulator emu = emus.get(e.getKey());
                emu.script(Script.neverFinishes());
                try (var st = RunningStack.start("cancel", e.getValue(), ProviderHttp.Policies.DEFAULT, false).withPollers(1)) {
                    List<String> ids = parallel(5, i -> st.submitVideo(BODY).get("id").asText());
                    for (String id : ids) {
                        assertEquals(200, st.cancel(id));
                    }
                    for (String id : ids) {
                        Prediction p = st.await(id, RunningStack::settled, LONG);
                        assertEquals(Phase.CANCELLED, p.phase());
                        assertEquals(Set.of(p.job().key()), p.jobs().stopped(), "its job is on record as stopped");
                        assertTrue(p.attempts().stream().anyMatch(a -> a.contains("stopped job")), p.attempts().toString());
                    }
                    assertEquals(5, emu.requests(Op.CANCEL).size(), e.getKey() + ": one cancel call per cancelled prediction");
                }
            }
        }
    }

    @Test
    void aJobWhoseSubmitAnswersAfterTheCancelIsAnOrphanAndIsStopped() throws Exception {
        try (var fal = new FalEmulator("fal-key");
                var st = RunningStack.start("orphan", Map.of("FOLEY_PROVIDER", "fal", "FAL_KEY", "fal-key", "FAL_BASE_URL", fal.baseUrl(),
                        "FAL_JWKS_URL", fal.jwksUrl()), ProviderHttp.Policies.DEFAULT, false).withPollers(1)) {
            fal.script(Script.neverFinishes()).latency(Op.SUBMIT, () -> Duration.ofMillis(1500));
            var submitting = Executors.newVirtualThreadPerTaskExecutor().submit(() -> st.submitVideo(BODY));
            Prediction stored = null;
            while (stored == null) { // the prediction is stored before its (slow) submit is answered
                Thread.sleep(20);
                var page = st.foley.predictions().list(st.foley.keys().list().get(0).keyId(), 1, null).items();
                stored = page.isEmpty() ? null : page.get(0);
            }
            assertEquals(200, st.cancel(stored.id()));
            JsonNode answered = submitting.get();
            assertEquals("cancelled", answered.get("status").asText(), "the cancel stands");
            Prediction p = st.await(stored.id(), x -> x.phase() == Phase.CANCELLED && !x.jobs().started().isEmpty()
                    && x.jobs().toStop(x.phase()).isEmpty(), LONG);
            assertNull(p.job(), "never the tracked job");
            assertEquals(1, p.jobs().started().size(), "the orphan is on the record");
            assertEquals(1, fal.requests(Op.CANCEL).size(), "and stopped at the provider");
        }
    }

    // ---- webhooks: one delivery per scheduled attempt, off the request path ----

    @Test
    void fiftyCompletionsGiveFiftyDeliveriesEachItsOwnRecord() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key"); var receiver = new WebhookReceiver();
                var st = RunningStack.start("hooks", wavespeed(emu), ProviderHttp.Policies.DEFAULT, true).withPollers(2)) {
            // Pushed callbacks, two pollers and completion all race to finish and notify.
            emu.script(Script.doneAfter(Duration.ofMillis(400)));
            List<String> ids = parallel(50, i -> st.submit(dev.foley.api.FoleyApi.SUBMIT_VIDEO, BODY,
                    "webhook=" + java.net.URLEncoder.encode(receiver.url("/h"), java.nio.charset.StandardCharsets.UTF_8))
                    .get("id").asText());
            var attempts = new WebhookAttempts(Moto.dynamo(st.settings), st.settings.table(), Clock.systemUTC(), Duration.ofDays(1));
            for (String id : ids) {
                Prediction p = st.await(id, RunningStack::settled, LONG);
                assertEquals(WebhookState.DELIVERED, p.webhookState());
                assertEquals(1, attempts.of(id).size(), "one attempt, one record");
            }
            assertEquals(50, receiver.received().size(), "exactly one delivery each");
            Set<String> msgIds = new HashSet<>();
            receiver.received().forEach(r -> msgIds.add(r.headers().get("webhook-id")));
            assertEquals(50, msgIds.size());
        }
    }

    @Test
    void aCancelAnswersWithoutWaitingForASlowWebhookReceiver() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key"); var receiver = new WebhookReceiver();
                var st = RunningStack.start("slowhook", wavespeed(emu), ProviderHttp.Policies.DEFAULT, false).withPollers(1)) {
            emu.script(Script.neverFinishes());
            CountDownLatch receiverHangs = new CountDownLatch(1);
            receiver.holdUntil(receiverHangs);
            String id = st.submit(dev.foley.api.FoleyApi.SUBMIT_VIDEO, BODY,
                    "webhook=" + java.net.URLEncoder.encode(receiver.url("/slow"), java.nio.charset.StandardCharsets.UTF_8)).get("id").asText();
            assertEquals(200, st.cancel(id), "answered while the receiver still hangs on the delivery");
            st.await(id, p -> p.lease() != null || !receiver.received().isEmpty(), LONG);
            assertEquals(1, receiverHangs.getCount(), "the delivery is still in progress elsewhere");
            receiverHangs.countDown();
            Prediction p = st.await(id, RunningStack::settled, LONG);
            assertEquals(WebhookState.DELIVERED, p.webhookState());
        }
    }

    // ---- one slow call never stalls the rest ----

    @Test
    void oneHangingStatusCallDoesNotHoldUpOtherPredictions() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key");
                var st = RunningStack.start("slow", wavespeed(emu), ProviderHttp.Policies.DEFAULT, false).withPollers(1)) {
            emu.script(Script.doneAfter(Duration.ofMillis(200)));
            CountDownLatch release = new CountDownLatch(1);
            emu.failNext(Op.STATUS, new Fault.Hold(release)); // the first status check hangs until released
            List<String> ids = parallel(6, i -> st.submitVideo(BODY).get("id").asText());
            long end = System.nanoTime() + LONG.toNanos();
            int completed = 0;
            while (completed < 5 && System.nanoTime() < end) {
                Thread.sleep(50);
                completed = (int) ids.stream().filter(id -> st.prediction(id).phase() == Phase.COMPLETED).count();
            }
            assertEquals(1, release.getCount(), "the hanging call is still hanging");
            assertTrue(emu.requests(Op.STATUS).size() >= 6, "every prediction was checked: " + emu.requests(Op.STATUS).size());
            assertEquals(5, completed, "the other five completed meanwhile");
            release.countDown();
            for (String id : ids) {
                assertEquals(Phase.COMPLETED, st.await(id, RunningStack::settled, LONG).phase());
            }
        }
    }

    @Test
    void syncModeAnswersWithinItsWaitWhateverTheProviderIsDoing() throws Exception {
        Map<String, String> env = new HashMap<>();
        try (var emu = new WaveSpeedEmulator("ws-key")) {
            env.putAll(wavespeed(emu));
            env.put("FOLEY_SYNC_WAIT_SECONDS", "2");
            try (var st = RunningStack.start("sync", env, ProviderHttp.Policies.DEFAULT, false)) {
                emu.script(Script.neverFinishes());
                CountDownLatch release = new CountDownLatch(1);
                emu.failNext(Op.STATUS, new Fault.Hold(release), new Fault.Hold(release), new Fault.Hold(release));
                JsonNode d = st.submitVideo(BODY.replace("}", ",\"enable_sync_mode\":true}"));
                assertEquals(1, release.getCount(), "answered while the provider's status call still hangs");
                assertEquals("processing", d.get("status").asText());
                assertTrue(d.get("error").asText().contains("Sync mode timed out"), d.toString());
                release.countDown();
            }
        }
    }

    // ---- paid work is not thrown away; unknown jobs fail promptly ----

    @Test
    void aJobTheProviderForgotFailsPromptlyWithThatReason() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key");
                var st = RunningStack.start("forgot", wavespeed(emu), ProviderHttp.Policies.DEFAULT, false).withPollers(1)) {
            emu.script(Script.neverFinishes());
            String id = st.submitVideo(BODY).get("id").asText();
            emu.forget(st.prediction(id).job().id());
            Prediction p = st.await(id, RunningStack::settled, LONG);
            assertEquals(Phase.FAILED, p.phase());
            assertEquals("the inference provider no longer knows the job (not found 4 times in a row)", p.error());
            // Four looks spread over tens of seconds (a job not yet visible is not given up), not fifteen minutes of them.
            assertTrue(p.checks() <= dev.foley.lifecycle.Lifecycle.NOT_FOUND_LIMIT + 1, "looks: " + p.checks());
            assertEquals(1, emu.requests(Op.CANCEL).size(), "and the job Foley last saw running gets a cancel, in case it runs on");
        }
    }

    @Test
    void aProvidersErrorTextReachesTheClientShortAndClean() throws Exception {
        try (var emu = new WaveSpeedEmulator("ws-key");
                var st = RunningStack.start("clean", wavespeed(emu), ProviderHttp.Policies.DEFAULT, false).withPollers(1)) {
            emu.script(Script.failsWith("Traceback (most recent call last):\n  File \"/srv/worker/run.py\", line 9\n"
                    + "ConnectionError: cannot reach gpu-node-17.us-east-1.compute.internal (10.0.4.7:9000)"));
            String id = st.submitVideo(BODY).get("id").asText();
            Prediction p = st.await(id, RunningStack::settled, LONG);
            JsonNode shown = Json.parse(dev.foley.local.Lambdas.api(st.api, dev.foley.local.ApiEvents.authed(RunningStack.KEY, "GET",
                    "/api/v3/predictions/" + id + "/result", null)).getBody()).get("data");
            String error = shown.get("error").asText();
            assertEquals("the inference provider's job failed: ConnectionError: cannot reach <host> (<address>)", error);
            assertTrue(p.attempts().stream().anyMatch(a -> a.contains("10.0.4.7")), "the full text is kept for operators");
        }
    }
}
