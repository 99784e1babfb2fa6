package dev.foley.provider;

import dev.foley.time.Deadline;

import dev.foley.prediction.ProviderJob;
import static dev.foley.provider.Fixtures.FAST;
import static dev.foley.provider.Fixtures.HTTP;
import static org.junit.jupiter.api.Assertions.*;

import dev.foley.json.Json;
import dev.foley.prediction.Kind;
import dev.foley.prediction.PredictionRequest;
import dev.foley.provider.emulator.ProviderEmulator.Fault;
import dev.foley.provider.emulator.ProviderEmulator.Op;
import dev.foley.provider.emulator.ProviderEmulator.Script;
import dev.foley.provider.emulator.ReplicateEmulator;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ReplicateProviderTest {

    ReplicateEmulator emu;
    ReplicateProvider pinned;
    ReplicateProvider latest;

    @BeforeEach
    void start() throws Exception {
        emu = new ReplicateEmulator("r8-token");
        pinned = new ReplicateProvider(emu.base(), "r8-token", "zsxkib/mmaudio", Optional.of("0e759d66abc"), Optional.empty(), HTTP, FAST);
        latest = new ReplicateProvider(emu.base(), "r8-token", "zsxkib/mmaudio", Optional.empty(), Optional.empty(), HTTP, FAST);
    }

    @AfterEach
    void stop() {
        emu.close();
    }

    @Test
    void createsWithVersionInputAndWebhookFilter() throws Exception {
        pinned.submit(Fixtures.video(), Optional.of(URI.create("https://foley.example.com/cb/replicate/1")), Deadline.NONE);
        var r = emu.requests(Op.SUBMIT).get(0);
        assertEquals("/v1/predictions", r.path());
        assertEquals("Bearer r8-token", r.header("authorization"));
        assertEquals(Json.parse("""
                {"version":"0e759d66abc","input":{"video":"https://cdn.example.com/bounce.mp4","prompt":"a ball bounces on wood",
                 "negative_prompt":"music","duration":6,"num_steps":30,"cfg_strength":7.5,"seed":1234},
                 "webhook":"https://foley.example.com/cb/replicate/1","webhook_events_filter":["completed"]}"""), r.json());
    }

    @Test
    void withoutAVersionUsesTheModelsLatestAndSendsEmptyNegativePromptAndRandomSeed() throws Exception {
        latest.submit(Fixtures.text(), Optional.empty(), Deadline.NONE);
        var r = emu.requests(Op.SUBMIT).get(0);
        assertEquals("/v1/models/zsxkib/mmaudio/predictions", r.path());
        assertEquals("", r.json().at("/input/negative_prompt").asText(null), "sent explicitly: the model's default is \"music\"");
        assertEquals(-1, r.json().at("/input/seed").asInt());
        assertFalse(r.json().path("input").has("video"));
        assertFalse(r.json().has("webhook"));
    }

    @Test
    void whatTheModelCannotHonourIsRefusedBeforeAnyRequest() {
        var masked = new PredictionRequest(Kind.VIDEO, "https://a.example/v.mp4", "p", "", 25, 8, 4.5, true, null, false);
        var e = assertThrows(ProviderException.class, () -> pinned.submit(masked, Optional.empty(), Deadline.NONE));
        assertEquals(ProviderException.Kind.REJECTED, e.kind());
        assertTrue(e.getMessage().contains("mask_away_clip"));
        var weak = new PredictionRequest(Kind.VIDEO, "https://a.example/v.mp4", "p", "", 25, 8, 0.5, false, null, false);
        assertTrue(assertThrows(ProviderException.class, () -> pinned.submit(weak, Optional.empty(), Deadline.NONE)).getMessage()
                .contains("guidance_scale"));
        assertTrue(emu.requests().isEmpty());
    }

    @Test
    void runsThroughItsStatuses() throws Exception {
        emu.script(Script.doneAfter(2));
        ProviderJob job = pinned.submit(Fixtures.video(), Optional.empty(), Deadline.NONE);
        assertInstanceOf(JobStatus.Running.class, pinned.check(job, Deadline.NONE));
        assertInstanceOf(JobStatus.Running.class, pinned.check(job, Deadline.NONE));
        JobStatus.Done d = assertInstanceOf(JobStatus.Done.class, pinned.check(job, Deadline.NONE));
        assertEquals(List.of(emu.outputUrl(job.id(), "mp4")), d.outputs());
        assertEquals(2500, d.inferenceMs());
        emu.outputAsList(true);
        ProviderJob listed = pinned.submit(Fixtures.video(), Optional.empty(), Deadline.NONE);
        emu.job(listed.id()).checks.set(99);
        assertEquals(1, assertInstanceOf(JobStatus.Done.class, pinned.check(listed, Deadline.NONE)).outputs().size());
    }

    @Test
    void failedAndCanceled() throws Exception {
        emu.script(Script.failsWith("CUDA out of memory"));
        ProviderJob job = pinned.submit(Fixtures.video(), Optional.empty(), Deadline.NONE);
        assertEquals("the inference provider's job failed: CUDA out of memory",
                assertInstanceOf(JobStatus.Failed.class, pinned.check(job, Deadline.NONE)).reason());
        emu.script(Script.neverFinishes());
        ProviderJob slow = pinned.submit(Fixtures.video(), Optional.empty(), Deadline.NONE);
        assertEquals(InferenceProvider.CancelOutcome.CANCELLED, pinned.cancel(slow, Deadline.NONE));
        assertEquals("/v1/predictions/" + slow.id() + "/cancel", emu.requests(Op.CANCEL).get(0).path());
        assertEquals(new JobStatus.Failed("the inference provider's job ended: canceled"), pinned.check(slow, Deadline.NONE));
    }

    @Test
    void throttlingAndErrors() throws Exception {
        emu.failNext(Op.SUBMIT, Fault.status(429, "{\"detail\":\"Request was throttled.\"}"));
        assertNotNull(pinned.submit(Fixtures.video(), Optional.empty(), Deadline.NONE).id());
        emu.failNext(Op.SUBMIT, Fault.status(422, "{\"detail\":\"- input.duration: Must be less than or equal to 30\"}"));
        var e = assertThrows(ProviderException.class, () -> pinned.submit(Fixtures.video(), Optional.empty(), Deadline.NONE));
        assertEquals(ProviderException.Kind.REJECTED, e.kind());
        assertTrue(e.getMessage().contains("Must be less than or equal to 30"));
        var bad = new ReplicateProvider(emu.base(), "x", "zsxkib/mmaudio", Optional.empty(), Optional.empty(), HTTP, FAST);
        assertEquals(ProviderException.Kind.CONFIGURATION,
                assertThrows(ProviderException.class, () -> bad.submit(Fixtures.video(), Optional.empty(), Deadline.NONE)).kind());
    }

    @Test
    void standardWebhooksAreVerified() throws Exception {
        ProviderJob job = pinned.submit(Fixtures.video(), Optional.empty(), Deadline.NONE);
        emu.job(job.id()).checks.set(99);
        var ok = emu.webhook(job.id(), "succeeded", ReplicateEmulator.SECRET, Instant.now());
        JobUpdate u = pinned.verifyCallback(ok.getKey(), ok.getValue());
        assertEquals(job.id(), u.jobId());
        assertInstanceOf(JobStatus.Done.class, u.status());
        assertEquals(1, emu.requests(Op.SECRET).size());
        var forged = emu.webhook(job.id(), "succeeded", "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32]), Instant.now());
        assertThrows(InvalidCallbackException.class, () -> pinned.verifyCallback(forged.getKey(), forged.getValue()));
        var stale = emu.webhook(job.id(), "succeeded", ReplicateEmulator.SECRET, Instant.now().minusSeconds(600));
        assertThrows(InvalidCallbackException.class, () -> pinned.verifyCallback(stale.getKey(), stale.getValue()));
        assertThrows(InvalidCallbackException.class, () -> pinned.verifyCallback(Map.of(), ok.getValue()));
    }
}
