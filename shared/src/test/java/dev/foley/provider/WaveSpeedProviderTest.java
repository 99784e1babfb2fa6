package dev.foley.provider;

import dev.foley.time.Deadline;

import dev.foley.prediction.ProviderJob;
import static dev.foley.provider.Fixtures.FAST;
import static dev.foley.provider.Fixtures.HTTP;
import static org.junit.jupiter.api.Assertions.*;

import dev.foley.provider.emulator.ProviderEmulator.Fault;
import dev.foley.provider.emulator.ProviderEmulator.Op;
import dev.foley.provider.emulator.ProviderEmulator.Script;
import dev.foley.provider.emulator.WaveSpeedEmulator;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WaveSpeedProviderTest {

    WaveSpeedEmulator emu;
    WaveSpeedProvider provider;

    @BeforeEach
    void start() throws Exception {
        emu = new WaveSpeedEmulator("ws-key");
        provider = new WaveSpeedProvider(emu.base(), "ws-key", Optional.empty(), HTTP, FAST, Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        emu.close();
    }

    @Test
    void sendsTheHostedRequestUnchangedButForOurExtensions() throws Exception {
        provider.submit(Fixtures.video(), Optional.of(URI.create("https://foley.example.com/internal/callbacks/wavespeed/abc")), Deadline.NONE);
        var r = emu.requests(Op.SUBMIT).get(0);
        assertEquals("POST", r.method());
        assertEquals("/api/v3/wavespeed-ai/mmaudio-v2", r.path());
        assertEquals("webhook=https%3A%2F%2Ffoley.example.com%2Finternal%2Fcallbacks%2Fwavespeed%2Fabc", r.query());
        assertEquals("Bearer ws-key", r.header("authorization"));
        assertEquals("application/json", r.header("content-type"));
        assertEquals(dev.foley.json.Json.parse("""
                {"video":"https://cdn.example.com/bounce.mp4","prompt":"a ball bounces on wood","negative_prompt":"music",
                 "num_inference_steps":30,"duration":6,"guidance_scale":7.5,"mask_away_clip":false}"""), r.json());
        provider.submit(Fixtures.text(), Optional.empty(), Deadline.NONE);
        var t = emu.requests(Op.SUBMIT).get(1);
        assertEquals("/api/v3/wavespeed-ai/mmaudio-v2/text-to-audio", t.path());
        assertNull(t.query());
        assertFalse(t.json().has("video"));
    }

    @Test
    void runsToDoneWithOutputsAndTimings() throws Exception {
        emu.script(Script.doneAfter(2));
        ProviderJob job = provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE);
        assertInstanceOf(JobStatus.Running.class, provider.check(job, Deadline.NONE));
        assertInstanceOf(JobStatus.Running.class, provider.check(job, Deadline.NONE));
        JobStatus.Done done = assertInstanceOf(JobStatus.Done.class, provider.check(job, Deadline.NONE));
        assertEquals(List.of(emu.outputUrl(job.id(), "mp4")), done.outputs());
        assertEquals(1234, done.inferenceMs());
        assertEquals("/api/v3/predictions/" + job.id() + "/result", emu.requests(Op.STATUS).get(0).path());
    }

    @Test
    void aFailedTaskIsHttp200ButFailed() throws Exception {
        emu.script(Script.failsWith("video could not be decoded"));
        ProviderJob job = provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE);
        var f = assertInstanceOf(JobStatus.Failed.class, provider.check(job, Deadline.NONE));
        assertEquals("the inference provider's job failed: video could not be decoded", f.reason());
        assertEquals("video could not be decoded", f.detail());
    }

    @Test
    void aJobThatNeverFinishesStaysRunning() throws Exception {
        emu.script(Script.neverFinishes());
        ProviderJob job = provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE);
        for (int i = 0; i < 5; i++) {
            assertInstanceOf(JobStatus.Running.class, provider.check(job, Deadline.NONE));
        }
    }

    @Test
    void badKeyIsAConfigurationError() {
        var bad = new WaveSpeedProvider(emu.base(), "wrong", Optional.empty(), HTTP, FAST, Clock.systemUTC());
        var e = assertThrows(ProviderException.class, () -> bad.submit(Fixtures.video(), Optional.empty(), Deadline.NONE));
        assertEquals(ProviderException.Kind.CONFIGURATION, e.kind());
        assertEquals(1, emu.requests(Op.SUBMIT).size(), "credentials errors are not retried");
    }

    @Test
    void rejectionCarriesTheProvidersMessage() {
        emu.failNext(Op.SUBMIT, Fault.status(400, "{\"code\":400,\"message\":\"video: unsupported codec\",\"data\":null}"));
        var e = assertThrows(ProviderException.class, () -> provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE));
        assertEquals(ProviderException.Kind.REJECTED, e.kind());
        assertTrue(e.getMessage().contains("video: unsupported codec"), e.getMessage());
    }

    @Test
    void envelopeErrorCodeInsideAnHttp200IsClassified() {
        emu.failNext(Op.SUBMIT, Fault.status(200, "{\"code\":400,\"message\":\"prompt too long\",\"data\":null}"));
        var e = assertThrows(ProviderException.class, () -> provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE));
        assertEquals(ProviderException.Kind.REJECTED, e.kind());
        assertTrue(e.getMessage().contains("prompt too long"));
    }

    @Test
    void rateLimitHonoursRetryAfterThenSucceeds() throws Exception {
        emu.failNext(Op.SUBMIT, new Fault.Answer(429, "{\"code\":429,\"message\":\"slow down\"}", Map.of("retry-after", "1")));
        long t0 = System.nanoTime();
        ProviderJob job = provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE);
        assertTrue(System.nanoTime() - t0 >= 950_000_000L, "waited for Retry-After");
        assertNotNull(job.id());
        assertEquals(2, emu.requests(Op.SUBMIT).size());
    }

    @Test
    void rateLimitWithoutRetryAfterAndServerErrorsAreRetried() throws Exception {
        emu.failNext(Op.SUBMIT, Fault.status(429, "{}"), Fault.status(500, "oops"));
        assertNotNull(provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE).id());
        assertEquals(3, emu.requests(Op.SUBMIT).size());
    }

    @Test
    void retryAfterLongerThanTheCallMayWaitIsHandedBack() {
        emu.failNext(Op.SUBMIT, new Fault.Answer(503, "busy", Map.of("retry-after", "120")));
        var e = assertThrows(ProviderException.class, () -> provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE));
        assertTrue(e.retryable());
        assertEquals(Optional.of(Duration.ofSeconds(120)), e.retryAfter());
        assertEquals(1, emu.requests(Op.SUBMIT).size());
    }

    @Test
    void persistent503GivesUpRetryablyAfterBoundedAttempts() {
        emu.failNext(Op.SUBMIT, Fault.status(503, "a"), Fault.status(503, "b"), Fault.status(503, "c"), Fault.status(503, "d"));
        var e = assertThrows(ProviderException.class, () -> provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE));
        assertTrue(e.retryable());
        assertFalse(e.maybeCreated());
        assertEquals(3, emu.requests(Op.SUBMIT).size());
        assertEquals(3, e.attempts().size());
    }

    @Test
    void aSubmitThatTimedOutIsNotRetriedInsideTheCallAndIsFlaggedMaybeCreated() {
        emu.failNext(Op.SUBMIT, new Fault.Slow(Duration.ofSeconds(2)));
        var e = assertThrows(ProviderException.class, () -> provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE));
        assertTrue(e.retryable());
        assertTrue(e.maybeCreated());
        // The job may exist: the caller records that before any retry (a prediction retries such a submit once in its life).
        assertEquals(1, emu.requests(Op.SUBMIT).size(), "a submit that may have made a job is never retried by the HTTP layer");
        assertEquals(1, e.attempts().size());
        assertTrue(e.attempts().get(0).contains("a job may exist"), e.attempts().toString());
    }

    @Test
    void gatewayErrorsMayHideAJobButAnsweredErrorsDoNot() {
        // 502/504 come from a gateway that may have passed the request on: maybe created, not retried.
        emu.failNext(Op.SUBMIT, Fault.status(504, "gateway timeout"));
        var e = assertThrows(ProviderException.class, () -> provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE));
        assertTrue(e.maybeCreated());
        assertEquals(1, emu.requests(Op.SUBMIT).size());
        // 429/500/503 are the provider's own answer: no job; retried within the call.
        emu.failNext(Op.SUBMIT, Fault.status(500, "{\"message\":\"oops\"}"), Fault.status(429, "{}"));
        assertDoesNotThrow(() -> provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE));
        assertEquals(4, emu.requests(Op.SUBMIT).size());
        assertEquals(1, emu.jobs().size(), "one job, from the attempt that was answered 200");
    }

    @Test
    void aDeadlineCutsTheCallShort() {
        emu.failNext(Op.SUBMIT, new Fault.Slow(Duration.ofSeconds(3)));
        var until = Deadline.in(java.time.Clock.systemUTC(), Duration.ofMillis(800));
        var e = assertThrows(ProviderException.class, () -> provider.submit(Fixtures.video(), Optional.empty(), until));
        assertTrue(e.maybeCreated(), "sent, unanswered by the deadline: a job may exist");
        assertTrue(e.attempts().get(0).contains("no answer within"), e.attempts().toString());
        assertThrows(ProviderException.class, () -> provider.submit(Fixtures.video(), Optional.empty(),
                Deadline.in(java.time.Clock.systemUTC(), Duration.ZERO)), "no time left: nothing is sent");
    }

    @Test
    void droppedConnectionAndGarbageBodies() throws Exception {
        emu.failNext(Op.SUBMIT, new Fault.Drop());
        var e = assertThrows(ProviderException.class, () -> provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE));
        assertTrue(e.maybeCreated());
        emu.failNext(Op.SUBMIT, Fault.status(200, "<html>gateway</html>"));
        e = assertThrows(ProviderException.class, () -> provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE));
        assertTrue(e.retryable() && e.maybeCreated(), "a 2xx we cannot read may have created a job");
        emu.failNext(Op.SUBMIT, Fault.status(200, "{\"code\":200,\"data\":{\"id\":\"abc\""));
        e = assertThrows(ProviderException.class, () -> provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE));
        assertTrue(e.retryable());
    }

    @Test
    void statusChecksRetryTruncatedAndSlowAnswers() throws Exception {
        emu.script(Script.neverFinishes());
        ProviderJob job = provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE);
        emu.failNext(Op.STATUS, new Fault.Truncated(), new Fault.Slow(Duration.ofSeconds(2)));
        assertInstanceOf(JobStatus.Running.class, provider.check(job, Deadline.NONE));
        assertEquals(3, emu.requests(Op.STATUS).size());
        // (the JDK client itself retries an idempotent GET once on a dropped reused connection)
        for (int i = 0; i < 8; i++) {
            emu.failNext(Op.STATUS, new Fault.Drop());
        }
        assertTrue(assertThrows(ProviderException.class, () -> provider.check(job, Deadline.NONE)).retryable());
    }

    @Test
    void webhookVerifiesWithTheFetchedSecretAndRefusesForgedOrStale() throws Exception {
        ProviderJob job = provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE);
        emu.job(job.id()).checks.set(99);
        var good = emu.webhook(job.id(), "completed", WaveSpeedEmulator.SECRET, Instant.now());
        JobUpdate u = provider.verifyCallback(good.getKey(), good.getValue());
        assertEquals(job.id(), u.jobId());
        assertInstanceOf(JobStatus.Done.class, u.status());
        assertEquals(1, emu.requests(Op.SECRET).size());

        var forged = emu.webhook(job.id(), "completed", "whsec_somebodyElse", Instant.now());
        assertThrows(InvalidCallbackException.class, () -> provider.verifyCallback(forged.getKey(), forged.getValue()));
        var stale = emu.webhook(job.id(), "completed", WaveSpeedEmulator.SECRET, Instant.now().minusSeconds(301));
        assertThrows(InvalidCallbackException.class, () -> provider.verifyCallback(stale.getKey(), stale.getValue()));
        byte[] tampered = new String(good.getValue()).replace("completed", "failed").getBytes();
        assertThrows(InvalidCallbackException.class, () -> provider.verifyCallback(good.getKey(), tampered));
        var noSig = new HashMap<>(good.getKey());
        noSig.remove("webhook-signature");
        assertThrows(InvalidCallbackException.class, () -> provider.verifyCallback(noSig, good.getValue()));
        assertEquals(1, emu.requests(Op.SECRET).size(), "the secret is fetched once and cached");
    }
}
