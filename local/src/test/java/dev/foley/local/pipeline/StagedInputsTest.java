package dev.foley.local.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.api.FoleyApi;
import dev.foley.json.Json;
import dev.foley.local.ApiEvents;
import dev.foley.local.Lambdas;
import dev.foley.local.Moto;
import dev.foley.local.bench.Clips;
import dev.foley.local.generator.AudioProbe;
import dev.foley.local.generator.MediaServer;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.provider.emulator.ProviderEmulator.Fault;
import dev.foley.provider.emulator.ProviderEmulator.Op;
import dev.foley.provider.emulator.ProviderEmulator.Script;
import dev.foley.provider.emulator.WaveSpeedEmulator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./foley serve} with a remote provider: a video the provider cannot fetch (a file put
 * through Foley's own upload ticket into local mode's S3, a long video's windows, any URL on
 * 127.0.0.1) is uploaded to the provider's storage first. The stand-in refuses any loopback URL
 * but its own uploads and answers after 0.1–0.5 s; {@code FOLEY_UPLOAD_INPUTS=always} makes it
 * count as a provider on the internet although it listens on 127.0.0.1.
 */
@ExtendWith(Moto.class)
class StagedInputsTest {

    @TempDir
    static Path dir;
    static MediaServer media;
    static byte[] clip;
    static byte[] windowOutput;
    WaveSpeedEmulator emu;
    RunningStack stack;

    @BeforeAll
    static void clips() throws Exception {
        clip = Files.readAllBytes(Clips.bounce(dir.resolve("short.mp4"), 160, 120, 25, 6, new double[] {1, 3, 5}, 0, 0));
        Clips.bounce(dir.resolve("long.mp4"), 160, 120, 25, 20, new double[] {2, 9, 16}, 0, 0);
        windowOutput = Files.readAllBytes(Clips.bounce(dir.resolve("window-out.mp4"), 160, 120, 25, 8, new double[] {4}, 220, 0.2));
        media = new MediaServer().serving(dir);
    }

    @AfterAll
    static void stopMedia() {
        media.close();
    }

    void start(String uploads) throws Exception {
        emu = new WaveSpeedEmulator("ws-key");
        emu.refuseUnreachable(true).script(Script.doneAfter(Duration.ofMillis(300))).filesFrom(name -> windowOutput)
                .latency(Op.UPLOAD, () -> Duration.ofMillis(ThreadLocalRandom.current().nextLong(100, 500)))
                .latency(Op.SUBMIT, () -> Duration.ofMillis(ThreadLocalRandom.current().nextLong(100, 500)));
        Map<String, String> env = new HashMap<>(Moto.wavespeed(emu));
        env.put("FOLEY_STRICT_URLS", "false");
        env.put("FOLEY_UPLOAD_INPUTS", uploads);
        stack = RunningStack.start("staged", env, all -> Moto.providers(all), false).withMedia(dir.resolve("media")).withPollers(1);
    }

    @AfterEach
    void stop() {
        if (stack != null) {
            stack.close();
        }
        if (emu != null) {
            emu.close();
        }
    }

    /** A file put through Foley's own upload ticket (local S3, on 127.0.0.1): its download_url. */
    String uploadThroughFoley() throws Exception {
        var r = Lambdas.api(stack.api, ApiEvents.authed(RunningStack.KEY, "POST", "/api/v3/media/uploads",
                "{\"filename\":\"short.mp4\",\"size\":" + clip.length + "}"));
        JsonNode d = Json.parse(r.getBody()).get("data");
        var put = HttpRequest.newBuilder(URI.create(d.at("/upload/url").asText())).PUT(HttpRequest.BodyPublishers.ofByteArray(clip));
        d.get("upload").get("headers").fields().forEachRemaining(h -> put.header(h.getKey(), h.getValue().asText()));
        assertEquals(200, HttpClient.newHttpClient().send(put.build(), HttpResponse.BodyHandlers.discarding()).statusCode());
        return d.get("download_url").asText();
    }

    @Test
    void aFileUploadedToFoleyReachesTheProviderAsItsOwnUpload() throws Exception {
        start("always");
        String download = uploadThroughFoley();
        assertTrue(download.startsWith("http://127.0.0.1"), download);
        String id = stack.submitVideo("{\"video\":\"" + download + "\",\"prompt\":\"a ball\",\"duration\":6}").get("id").asText();
        Prediction p = stack.await(id, RunningStack::settled, Duration.ofSeconds(60));
        assertEquals(Phase.COMPLETED, p.phase(), p.error());
        assertEquals(1, emu.uploaded().size());
        assertArrayEquals(clip, emu.uploaded().get(0).bytes(), "the provider got the file, byte for byte");
        assertEquals("short.mp4", emu.uploaded().get(0).name());
        String seen = emu.requests(Op.SUBMIT).get(0).json().get("video").asText();
        assertTrue(seen.startsWith(emu.baseUrl() + "/uploaded/"), seen);
        assertTrue(p.attempts().stream().anyMatch(l -> l.contains("uploaded the video (" + clip.length + " bytes")), p.attempts().toString());
        assertEquals(download, p.request().video(), "the stored request keeps the client's own URL");
        assertEquals(6_000, p.chargeMicroUsd());
    }

    @Test
    void aLongVideosWindowsAreEachUploaded() throws Exception {
        start("always");
        String id = stack.submit(FoleyApi.SUBMIT_LONG, "{\"video\":\"" + media.fileUrl("long.mp4")
                + "\",\"prompt\":\"footsteps\",\"output_format\":\"wav\"}", null).get("id").asText();
        Prediction p = stack.await(id, RunningStack::settled, Duration.ofMinutes(2));
        assertEquals(Phase.COMPLETED, p.phase(), p.error());
        int windows = p.windows().total();
        assertTrue(windows >= 3, "a 20 s clip is cut in windows: " + windows);
        assertEquals(windows, emu.requests(Op.SUBMIT).size(), "one submit per window");
        assertEquals(windows, emu.uploaded().size(), "one upload per window");
        for (var r : emu.requests(Op.SUBMIT)) {
            assertTrue(r.json().get("video").asText().startsWith(emu.baseUrl() + "/uploaded/"), r.json().toString());
        }
        Path out = dir.resolve(id + ".wav");
        RunningStack.download(stack.result(id).get("outputs").get(0).asText(), out);
        assertEquals(20.0, AudioProbe.of(out).audioSeconds(), 0.05);
    }

    @Test
    void anUploadTheProviderRefusesFailsThePredictionUncharged() throws Exception {
        start("always");
        emu.failNext(Op.UPLOAD, Fault.status(415, "{\"code\":415,\"message\":\"unsupported media type: video/x-weird\",\"data\":null}"));
        String id = stack.submitVideo("{\"video\":\"" + media.fileUrl("short.mp4") + "\",\"prompt\":\"a ball\"}").get("id").asText();
        Prediction p = stack.await(id, RunningStack::settled, Duration.ofSeconds(60));
        assertEquals(Phase.FAILED, p.phase());
        assertTrue(p.error().contains("wavespeed refused the upload of short.mp4"), p.error());
        assertTrue(p.error().contains("unsupported media type"), "the provider's reason: " + p.error());
        assertEquals(0, p.chargeMicroUsd());
        assertEquals(0, emu.requests(Op.SUBMIT).size());
    }

    @Test
    void withoutTheUploadAProviderOnTheInternetCannotReadTheClip() throws Exception {
        // What Foley did before uploads: the 127.0.0.1 URL as given; a provider on the internet cannot fetch it.
        start("never");
        String id = stack.submitVideo("{\"video\":\"" + media.fileUrl("short.mp4") + "\",\"prompt\":\"a ball\"}").get("id").asText();
        Prediction p = stack.await(id, RunningStack::settled, Duration.ofSeconds(60));
        assertEquals(Phase.FAILED, p.phase());
        assertTrue(p.error().contains("failed to download the video"), p.error());
        assertEquals(0, emu.uploaded().size());
    }
}
