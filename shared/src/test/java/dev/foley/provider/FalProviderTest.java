package dev.foley.provider;

import dev.foley.time.Deadline;

import dev.foley.prediction.ProviderJob;
import static dev.foley.provider.Fixtures.FAST;
import static dev.foley.provider.Fixtures.HTTP;
import static org.junit.jupiter.api.Assertions.*;

import dev.foley.json.Json;
import dev.foley.provider.emulator.FalEmulator;
import dev.foley.provider.emulator.ProviderEmulator.Fault;
import dev.foley.provider.emulator.ProviderEmulator.Op;
import dev.foley.provider.emulator.ProviderEmulator.Script;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FalProviderTest {

    FalEmulator emu;
    FalProvider provider;

    @BeforeEach
    void start() throws Exception {
        emu = new FalEmulator("fal-key");
        provider = new FalProvider(emu.base(), "fal-key", URI.create(emu.jwksUrl()), HTTP, FAST, Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        emu.close();
    }

    @Test
    void mapsOurFieldsToFalsAndUsesItsQueue() throws Exception {
        ProviderJob job = provider.submit(Fixtures.video(), Optional.of(URI.create("https://foley.example.com/cb/fal/x")), Deadline.NONE);
        var r = emu.requests(Op.SUBMIT).get(0);
        assertEquals("/fal-ai/mmaudio-v2", r.path());
        assertEquals("fal_webhook=https%3A%2F%2Ffoley.example.com%2Fcb%2Ffal%2Fx", r.query());
        assertEquals("Key fal-key", r.header("authorization"));
        assertEquals(Json.parse("""
                {"video_url":"https://cdn.example.com/bounce.mp4","prompt":"a ball bounces on wood","negative_prompt":"music",
                 "seed":1234,"num_steps":30,"duration":6.0,"cfg_strength":7.5,"mask_away_clip":false}"""), r.json());
        assertEquals(emu.baseUrl() + "/fal-ai/mmaudio-v2/requests/" + job.id() + "/status", job.url("status"));
    }

    @Test
    void textToAudioSubmitsToItsEndpointButPollsWithoutTheSubpath() throws Exception {
        ProviderJob job = provider.submit(Fixtures.text(), Optional.empty(), Deadline.NONE);
        var r = emu.requests(Op.SUBMIT).get(0);
        assertEquals("/fal-ai/mmaudio-v2/text-to-audio", r.path());
        assertFalse(r.json().has("video_url"));
        assertFalse(r.json().has("seed"), "absent seed means random: not sent");
        JobStatus s;
        do {
            s = provider.check(job, Deadline.NONE);
        } while (s instanceof JobStatus.Running);
        JobStatus.Done d = assertInstanceOf(JobStatus.Done.class, s);
        assertEquals(List.of(emu.outputUrl(job.id(), "wav")), d.outputs());
        assertEquals(1500, d.inferenceMs());
        assertTrue(emu.requests(Op.STATUS).stream().allMatch(x -> x.path().startsWith("/fal-ai/mmaudio-v2/requests/")));
    }

    @Test
    void queuePositionIsReported() throws Exception {
        emu.script(Script.doneAfter(3));
        ProviderJob job = provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE);
        assertEquals(new JobStatus.Running(2), provider.check(job, Deadline.NONE));
        assertEquals(new JobStatus.Running(-1), provider.check(job, Deadline.NONE));
    }

    @Test
    void aFailedJobIsCompletedWithANon2xxResult() throws Exception {
        emu.script(Script.failsWith("runner crashed"));
        ProviderJob job = provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE);
        JobStatus.Failed f = assertInstanceOf(JobStatus.Failed.class, provider.check(job, Deadline.NONE));
        assertTrue(f.reason().contains("runner crashed") && f.reason().contains("runner_error"), f.reason());
        assertEquals(1, emu.requests(Op.RESULT).size(), "a job's own error is not retried");

        emu.failuresAreValidation(true).script(Script.failsWith("cannot decode video"));
        ProviderJob bad = provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE);
        f = assertInstanceOf(JobStatus.Failed.class, provider.check(bad, Deadline.NONE));
        assertEquals("the inference provider rejected the input (HTTP 422): video_url: cannot decode video", f.reason());
    }

    @Test
    void aGatewayErrorOnTheResultIsRetriedNotAFailure() throws Exception {
        ProviderJob job = provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE);
        emu.job(job.id()).checks.set(99);
        emu.failNext(Op.RESULT, Fault.status(502, "<html>bad gateway</html>"));
        assertInstanceOf(JobStatus.Done.class, provider.check(job, Deadline.NONE));
        assertEquals(2, emu.requests(Op.RESULT).size());
    }

    @Test
    void errorsAreClassified() {
        var bad = new FalProvider(emu.base(), "nope", URI.create(emu.jwksUrl()), HTTP, FAST, Clock.systemUTC());
        assertEquals(ProviderException.Kind.CONFIGURATION,
                assertThrows(ProviderException.class, () -> bad.submit(Fixtures.video(), Optional.empty(), Deadline.NONE)).kind());
        emu.failNext(Op.SUBMIT, Fault.status(422, "{\"detail\":[{\"loc\":[\"body\",\"duration\"],\"msg\":\"must be <= 30\",\"type\":\"x\"}]}"));
        var e = assertThrows(ProviderException.class, () -> provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE));
        assertEquals(ProviderException.Kind.REJECTED, e.kind());
        assertTrue(e.getMessage().contains("duration: must be <= 30"), e.getMessage());
        emu.failNext(Op.SUBMIT, Fault.status(504, "timeout"));
        e = assertThrows(ProviderException.class, () -> provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE));
        assertTrue(e.retryable() && e.maybeCreated());
    }

    @Test
    void cancelUsesTheCancelUrl() throws Exception {
        emu.script(Script.neverFinishes());
        ProviderJob job = provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE);
        provider.cancel(job, Deadline.NONE);
        var r = emu.requests(Op.CANCEL).get(0);
        assertEquals("PUT", r.method());
        assertTrue(emu.job(job.id()).cancelled);
    }

    @Test
    void urlsOnAnotherHostAreNotTrustedWithOurKey() throws Exception {
        emu.failNext(Op.SUBMIT, Fault.status(200, "{\"request_id\":\"r1\",\"status_url\":\"https://evil.example.com/s\","
                + "\"response_url\":\"https://evil.example.com/r\",\"cancel_url\":\"https://evil.example.com/c\"}"));
        ProviderJob job = provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE);
        assertEquals(emu.baseUrl() + "/fal-ai/mmaudio-v2/requests/r1/status", job.url("status"));
    }

    @Test
    void webhooksAreVerifiedAgainstTheJwks() throws Exception {
        ProviderJob job = provider.submit(Fixtures.video(), Optional.empty(), Deadline.NONE);
        var ok = emu.webhook(job.id(), true, Instant.now());
        JobUpdate u = provider.verifyCallback(ok.getKey(), ok.getValue());
        assertEquals(new JobUpdate(job.id(), new JobStatus.Done(List.of(emu.outputUrl(job.id(), "mp4")), 0, List.of(false))), u);

        var err = emu.webhook(job.id(), false, Instant.now());
        JobStatus.Failed f = assertInstanceOf(JobStatus.Failed.class, provider.verifyCallback(err.getKey(), err.getValue()).status());
        assertTrue(f.reason().contains("video could not be decoded"), f.reason());

        byte[] tampered = new String(ok.getValue()).replace(".mp4", ".mov").getBytes();
        assertThrows(InvalidCallbackException.class, () -> provider.verifyCallback(ok.getKey(), tampered));
        var stale = emu.webhook(job.id(), true, Instant.now().minusSeconds(400));
        assertThrows(InvalidCallbackException.class, () -> provider.verifyCallback(stale.getKey(), stale.getValue()));
        Map<String, String> forged = new HashMap<>(ok.getKey());
        forged.put("x-fal-webhook-signature", "00".repeat(64));
        assertThrows(InvalidCallbackException.class, () -> provider.verifyCallback(forged, ok.getValue()));
        Map<String, String> otherId = new HashMap<>(ok.getKey());
        otherId.put("x-fal-webhook-request-id", "someone-else");
        assertThrows(InvalidCallbackException.class, () -> provider.verifyCallback(otherId, ok.getValue()));
    }
}
