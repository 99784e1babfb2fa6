package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.local.generator.AudioProbe;
import dev.foley.provider.emulator.FalEmulator;
import dev.foley.provider.emulator.ProviderEmulator;
import dev.foley.provider.emulator.ProviderEmulator.Fault;
import dev.foley.provider.emulator.ProviderEmulator.Op;
import dev.foley.provider.emulator.ReplicateEmulator;
import dev.foley.provider.emulator.WaveSpeedEmulator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./foley generate --provider …} on a clip on disk: the clip is uploaded to the provider's
 * own storage the way its published client does it, then the prediction runs there. The stand-ins
 * refuse to fetch any loopback or private URL but their own uploads (as a provider on the internet
 * cannot reach this machine), check each upload call's exact shape, and answer after 0.1–0.5 s;
 * a job's output is the uploaded clip, so what comes back is a real video, probed.
 */
@ExtendWith(Moto.class)
class ProviderUploadsTest {

    static final Path CLIP = Moto.projectRoot().resolve("local/src/test/resources/media/bounce-4s.mp4");

    @TempDir
    Path tmp;

    record Run(int rc, String text) {
    }

    Run generate(Map<String, String> env, String... args) throws Exception {
        var buf = new ByteArrayOutputStream();
        var ps = new PrintStream(buf, true, StandardCharsets.UTF_8);
        String[] all = new String[args.length + 6];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(new String[] {"--aws-endpoint", Moto.endpoint().toString(), "--data", tmp.toString(), "--template",
                Moto.template().toString()}, 0, all, args.length, 6);
        int rc = FoleyCli.run(all, env, ps, ps);
        return new Run(rc, buf.toString(StandardCharsets.UTF_8));
    }

    /** What the stand-in's model answers: a real 4 s clip with a soundtrack, so the result can be probed. */
    static byte[] modelOutput;

    @org.junit.jupiter.api.BeforeAll
    static void output(@TempDir Path dir) throws Exception {
        modelOutput = Files.readAllBytes(dev.foley.local.bench.Clips.bounce(dir.resolve("out.mp4"), 160, 120, 25, 4,
                new double[] {0.5, 1.5, 2.5, 3.5}, 220, 0.2));
    }

    static <E extends ProviderEmulator> E asOnTheInternet(E emu) {
        emu.refuseUnreachable(true)
                .latency(Op.UPLOAD, () -> Duration.ofMillis(ThreadLocalRandom.current().nextLong(100, 500)))
                .latency(Op.SUBMIT, () -> Duration.ofMillis(ThreadLocalRandom.current().nextLong(100, 500)));
        emu.filesFrom(name -> modelOutput);
        return emu;
    }

    /** What the stand-in saw as the video to fetch, and what it holds there. */
    static void sawItsOwnUpload(ProviderEmulator emu, String videoField) throws Exception {
        assertEquals(1, emu.uploaded().size(), "the clip was uploaded once");
        assertArrayEquals(Files.readAllBytes(CLIP), emu.uploaded().get(0).bytes(), "byte for byte");
        var submits = emu.requests(Op.SUBMIT);
        assertEquals(1, submits.size());
        String video = submits.get(0).json().at(videoField).asText();
        assertTrue(video.startsWith(emu.baseUrl() + "/uploaded/"), "the provider was given its own upload: " + video);
    }

    void checkTheResult(Run r, Path out) throws Exception {
        assertEquals(0, r.rc(), r.text());
        assertTrue(r.text().contains("uploading bounce-4s.mp4 (0."), r.text());
        assertTrue(r.text().indexOf("uploaded in") < r.text().indexOf("submitted"), "the upload, then the prediction: " + r.text());
        assertTrue(r.text().contains("completed"), r.text());
        AudioProbe p = AudioProbe.of(out);
        assertEquals("h264", p.videoCodec());
        assertEquals(4.0, p.audioSeconds(), 0.1);
    }

    @Test
    void wavespeedGetsTheClipThroughItsUploadTicket() throws Exception {
        try (var emu = asOnTheInternet(new WaveSpeedEmulator("ws-secret-key"))) {
            Path out = tmp.resolve("ws.mp4");
            Run r = generate(Map.of("WAVESPEED_API_KEY", "ws-secret-key", "WAVESPEED_BASE_URL", emu.baseUrl()),
                    "generate", "--provider", "wavespeed", "--video", CLIP.toString(), "--prompt", "a ball bouncing", "--out", out.toString());
            checkTheResult(r, out);
            sawItsOwnUpload(emu, "/video");
            var ticket = emu.requests(Op.UPLOAD).get(0);
            assertEquals("/api/v3/media/uploads", ticket.path());
            assertEquals("Bearer ws-secret-key", ticket.header("authorization"));
            assertEquals("{\"filename\":\"bounce-4s.mp4\",\"size\":" + Files.size(CLIP) + ",\"content_type\":\"video/mp4\"}",
                    new String(ticket.body(), StandardCharsets.UTF_8));
            var put = emu.requests(Op.UPLOAD).get(1);
            assertEquals("PUT", put.method());
            assertEquals("video/mp4", put.header("content-type"), "the ticket's headers go with the PUT");
            assertNull(put.header("authorization"), "the key never goes to the storage URL");
        }
    }

    @Test
    void wavespeedWithoutTicketsTakesTheBinaryUpload() throws Exception {
        try (var emu = asOnTheInternet(new WaveSpeedEmulator("ws-key")).ticketsMissing(true)) {
            Path out = tmp.resolve("ws-binary.mp4");
            Run r = generate(Map.of("WAVESPEED_API_KEY", "ws-key", "WAVESPEED_BASE_URL", emu.baseUrl()),
                    "generate", "--provider", "wavespeed", "--video", CLIP.toString(), "--out", out.toString());
            checkTheResult(r, out);
            sawItsOwnUpload(emu, "/video");
            assertEquals("/api/v3/media/upload/binary", emu.requests(Op.UPLOAD).get(1).path());
        }
    }

    @Test
    void falGetsTheClipThroughItsStorage() throws Exception {
        try (var emu = asOnTheInternet(new FalEmulator("fal-key"))) {
            Path out = tmp.resolve("fal.mp4");
            Run r = generate(Map.of("FAL_KEY", "fal-key", "FAL_BASE_URL", emu.baseUrl(), "FAL_JWKS_URL", emu.jwksUrl()),
                    "generate", "--provider", "fal", "--video", CLIP.toString(), "--prompt", "a ball bouncing", "--out", out.toString());
            checkTheResult(r, out);
            sawItsOwnUpload(emu, "/video_url");
            var initiate = emu.requests(Op.UPLOAD).get(0);
            assertEquals("/storage/upload/initiate", initiate.path());
            assertEquals("storage_type=fal-cdn-v3", initiate.query());
            assertEquals("Key fal-key", initiate.header("authorization"));
            assertEquals("{\"content_type\":\"video/mp4\",\"file_name\":\"bounce-4s.mp4\"}",
                    new String(initiate.body(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void replicateGetsTheClipThroughItsFilesApi() throws Exception {
        try (var emu = asOnTheInternet(new ReplicateEmulator("r8-token"))) {
            Path out = tmp.resolve("replicate.mp4");
            Run r = generate(Map.of("REPLICATE_API_TOKEN", "r8-token", "REPLICATE_BASE_URL", emu.baseUrl(),
                    "REPLICATE_MODEL_VERSION", "62871fb5abc"), "generate", "--provider", "replicate", "--video", CLIP.toString(),
                    "--out", out.toString());
            checkTheResult(r, out);
            sawItsOwnUpload(emu, "/input/video");
            var files = emu.requests(Op.UPLOAD).get(0);
            assertEquals("/v1/files", files.path());
            assertEquals("Bearer r8-token", files.header("authorization"));
            assertTrue(files.header("content-type").startsWith("multipart/form-data; boundary="));
        }
    }

    @Test
    void aMissingKeyIsNamedBeforeAnythingStarts() throws Exception {
        Run r = generate(Map.of(), "generate", "--provider", "fal", "--video", CLIP.toString());
        assertEquals(2, r.rc(), r.text());
        assertTrue(r.text().contains("--provider fal needs FAL_KEY in the environment"), r.text());
        Run unknown = generate(Map.of(), "generate", "--provider", "runpod", "--video", CLIP.toString());
        assertEquals(2, unknown.rc());
        assertTrue(unknown.text().contains("--provider: must be local, wavespeed, fal or replicate, got 'runpod'"), unknown.text());
    }

    @Test
    void anUploadTheProviderRefusesFailsWithItsReasonAndLeavesNothing() throws Exception {
        String prompt = "refused-" + System.nanoTime();
        try (var emu = asOnTheInternet(new WaveSpeedEmulator("ws-key"))) {
            emu.failNext(Op.UPLOAD, Fault.status(413, "{\"code\":413,\"message\":\"file too large for your plan\",\"data\":null}"));
            Run r = generate(Map.of("WAVESPEED_API_KEY", "ws-key", "WAVESPEED_BASE_URL", emu.baseUrl()),
                    "generate", "--provider", "wavespeed", "--video", CLIP.toString(), "--prompt", prompt);
            assertEquals(1, r.rc(), r.text());
            assertTrue(r.text().contains("the upload to wavespeed failed: wavespeed refused the upload of bounce-4s.mp4"), r.text());
            assertTrue(r.text().contains("file too large for your plan"), "the provider's reason: " + r.text());
            assertEquals(0, emu.requests(Op.SUBMIT).size(), "no prediction reached the provider");
        }
        try (var emu = asOnTheInternet(new WaveSpeedEmulator("the-right-key"))) {
            Run r = generate(Map.of("WAVESPEED_API_KEY", "a-wrong-key", "WAVESPEED_BASE_URL", emu.baseUrl()),
                    "generate", "--provider", "wavespeed", "--video", CLIP.toString(), "--prompt", prompt);
            assertEquals(1, r.rc(), r.text());
            assertTrue(r.text().contains("wavespeed refused our credentials (401): check its API key"), r.text());
        }
        // Nothing half-done in the table: no prediction was ever made with that prompt.
        var settings = Moto.settings("foley-generate", new HashMap<>());
        try (var dynamo = Moto.dynamo(settings)) {
            long found = dynamo.scanPaginator(s -> s.tableName("foley-generate")).items().stream()
                    .filter(i -> i.toString().contains(prompt)).count();
            assertEquals(0, found);
        }
    }
}
