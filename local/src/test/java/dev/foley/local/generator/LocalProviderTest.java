package dev.foley.local.generator;

import dev.foley.time.Deadline;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.prediction.Kind;
import dev.foley.prediction.PredictionRequest;
import dev.foley.provider.JobStatus;
import dev.foley.prediction.ProviderJob;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The offline generator on clips with known motion: sounds where the picture hits, the requested length, clear failures. */
class LocalProviderTest {

    static MediaServer media;
    static LocalProvider provider;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws Exception {
        media = new MediaServer();
        provider = new LocalProvider(tmp.resolve("work"), 2);
    }

    @AfterAll
    static void stop() {
        provider.close();
        media.close();
    }

    static PredictionRequest video(String clip, String prompt, int duration, boolean mask, Integer seed) {
        return new PredictionRequest(Kind.VIDEO, media.url(clip), prompt, "", 25, duration, 4.5, mask, seed, false);
    }

    static JobStatus await(ProviderJob job) throws Exception {
        long deadline = System.nanoTime() + 120_000_000_000L;
        JobStatus s;
        do {
            s = provider.check(job, Deadline.NONE);
            if (!(s instanceof JobStatus.Running)) {
                return s;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("job did not finish");
    }

    static Path download(String url, String name) throws Exception {
        Path f = tmp.resolve(name);
        HttpResponse<InputStream> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        try (InputStream in = r.body()) {
            Files.copy(in, f);
        }
        return f;
    }

    static AudioProbe generate(PredictionRequest r, String name) throws Exception {
        JobStatus s = await(provider.submit(r, Optional.empty(), Deadline.NONE));
        JobStatus.Done d = assertInstanceOf(JobStatus.Done.class, s, s.toString());
        return AudioProbe.of(download(d.outputs().get(0), name));
    }

    static void assertOnsetsNear(List<Double> detected, double[] impacts) {
        for (double impact : impacts) {
            assertTrue(detected.stream().anyMatch(t -> Math.abs(t - impact) <= 0.080),
                    "no onset within 80 ms of the impact at " + impact + " s; detected " + detected);
        }
        for (double t : detected) {
            assertTrue(Arrays.stream(impacts).anyMatch(i -> Math.abs(t - i) <= 0.080),
                    "an onset at " + t + " s matches no impact; detected " + detected);
        }
    }

    @Test
    void bounceClipGetsAHitAtEveryImpactAndTheRequestedLength() throws Exception {
        AudioProbe p = generate(video("bounce-4s.mp4", "a rubber ball bouncing on a wooden floor", 4, false, 7), "bounce4.mp4");
        assertTrue(p.hasVideo());
        assertEquals("h264", p.videoCodec());
        assertEquals("aac", p.audioCodec());
        assertEquals(4.0, p.audioSeconds(), 0.05);
        assertOnsetsNear(p.onsets(), new double[] {0.5, 1.5, 2.5, 3.5});
    }

    @Test
    void aVideoShorterThanTheDurationCutsTheAudioAndALongerOneIsCut() throws Exception {
        AudioProbe shortClip = generate(video("bounce-4s.mp4", "metal ball on a steel plate", 8, false, 1), "cut.mp4");
        assertEquals(4.0, shortClip.audioSeconds(), 0.05, "as MMAudio: audio no longer than the video");
        assertOnsetsNear(shortClip.onsets(), new double[] {0.5, 1.5, 2.5, 3.5});

        AudioProbe longClip = generate(video("bounce-12s.mp4", "footsteps on gravel", 6, false, 2), "long.mp4");
        assertEquals(6.0, longClip.audioSeconds(), 0.05);
        assertEquals(6.0, longClip.videoSeconds(), 0.1, "the picture is cut to the soundtrack");
        assertOnsetsNear(longClip.onsets(), new double[] {0.5, 1.5, 2.5, 3.5, 4.5, 5.5});
    }

    @Test
    void maskAwayClipIgnoresThePicture() throws Exception {
        AudioProbe p = generate(video("bounce-4s.mp4", "a ball bouncing", 4, true, 3), "masked.mp4");
        assertEquals(4.0, p.audioSeconds(), 0.05);
        assertTrue(p.onsets().size() <= 1, "no hits placed from the picture: " + p.onsets());
    }

    @Test
    void textToAudioIsFlacOfTheDurationAndDeterministicForASeed() throws Exception {
        var r = new PredictionRequest(Kind.TEXT, null, "rain on a tin roof with distant thunder", "", 25, 3, 4.5, false, 99, false);
        AudioProbe a = generate(r, "a.flac");
        AudioProbe b = generate(r, "b.flac");
        assertFalse(a.hasVideo());
        assertEquals("flac", a.audioCodec());
        assertEquals(3.0, a.audioSeconds(), 0.05);
        assertArrayEquals(a.samples(), b.samples(), "same request, same seed: same sound");
        var other = new PredictionRequest(Kind.TEXT, null, "rain on a tin roof with distant thunder", "", 25, 3, 4.5, false, 100, false);
        assertFalse(Arrays.equals(a.samples(), generate(other, "c.flac").samples()));
    }

    @Test
    void brokenAndNonVideoFilesFailWithAClearReason() throws Exception {
        for (String clip : List.of("truncated.mp4", "not-a-video.mp4")) {
            JobStatus s = await(provider.submit(video(clip, "x", 4, false, 1), Optional.empty(), Deadline.NONE));
            JobStatus.Failed f = assertInstanceOf(JobStatus.Failed.class, s, clip);
            assertTrue(f.reason().startsWith("the video") || f.reason().startsWith("the file"), f.reason());
            assertFalse(f.reason().contains(tmp.toString()), "no local paths in a client-facing reason: " + f.reason());
        }
        JobStatus.Failed missing = assertInstanceOf(JobStatus.Failed.class,
                await(provider.submit(video("nope.mp4", "x", 4, false, 1), Optional.empty(), Deadline.NONE)));
        assertEquals("the video URL answered HTTP 404", missing.reason());
    }

    @Test
    void aVideoWithItsOwnSoundOrAnotherCodecIsReencodedWithTheNewTrack() throws Exception {
        // MPEG-4 Part 2 video with a 440 Hz tone: the picture is re-encoded to H.264, the tone replaced.
        Path clip = tmp.resolve("tone.mp4");
        try (var r = new org.bytedeco.javacv.FFmpegFrameRecorder(clip.toFile(), 160, 120, 1)) {
            r.setFormat("mp4");
            r.setVideoCodec(org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4);
            r.setFrameRate(25);
            r.setAudioCodec(org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_AAC);
            r.setSampleRate(44100);
            r.start();
            for (int i = 0; i < 75; i++) {
                var f = new org.bytedeco.javacv.Frame(160, 120, org.bytedeco.javacv.Frame.DEPTH_UBYTE, 3);
                var buf = (java.nio.ByteBuffer) f.image[0];
                int y0 = i % 25 < 12 ? 10 + i % 25 * 8 : 106 - (i % 25 - 12) * 8; // a square that drops and rises
                for (int y = 0; y < 120; y++) {
                    for (int x = 0; x < 160; x++) {
                        byte v = (byte) (y >= y0 && y < y0 + 12 && x >= 70 && x < 82 ? 255 : 0);
                        int o = y * f.imageStride + x * 3;
                        buf.put(o, v).put(o + 1, v).put(o + 2, v);
                    }
                }
                r.record(f);
            }
            float[] tone = new float[44100 * 3];
            for (int i = 0; i < tone.length; i++) {
                tone[i] = (float) (0.5 * Math.sin(2 * Math.PI * 440 * i / 44100.0));
            }
            r.recordSamples(44100, 1, java.nio.FloatBuffer.wrap(tone));
            r.stop();
        }
        // A file: URL is never fetched: only http(s), as the API allows.
        JobStatus s = provider.run("00000000000000000000000000000abc",
                new PredictionRequest(Kind.VIDEO, clip.toUri().toString(), "knock on wood", "", 25, 3, 4.5, false, 5, false));
        assertEquals(new JobStatus.Failed("the video URL must be http(s)"), s);
        try (var files = new AutoCloseableServer(com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 4), clip)) {
            AudioProbe p = generate(new PredictionRequest(Kind.VIDEO, files.url(), "knock on wood", "", 25, 3, 4.5, false, 5, false),
                    "reencoded.mp4");
            assertEquals("h264", p.videoCodec());
            assertEquals("aac", p.audioCodec());
            assertEquals(3.0, p.audioSeconds(), 0.06);
        }
    }

    /** Serves one file over HTTP for the re-encode test. */
    record AutoCloseableServer(com.sun.net.httpserver.HttpServer server, Path file) implements AutoCloseable {
        AutoCloseableServer {
            server.createContext("/clip.mp4", ex -> {
                try (ex) {
                    byte[] b = Files.readAllBytes(file);
                    ex.sendResponseHeaders(200, b.length);
                    ex.getResponseBody().write(b);
                }
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/clip.mp4";
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    @Test
    void promptWordsChooseTheSoundAndNegativeWordsRemoveIt() {
        assertEquals(SoundDesign.Hit.METAL, SoundDesign.of("a hammer on an anvil in the rain", "").hit());
        assertTrue(SoundDesign.of("a hammer on an anvil in the rain", "").beds().contains(SoundDesign.Bed.RAIN));
        assertFalse(SoundDesign.of("a hammer on an anvil in the rain", "rain, music").beds().contains(SoundDesign.Bed.RAIN));
        assertEquals(java.util.Set.of(SoundDesign.Bed.ROOM), SoundDesign.of("someone types quietly", "").beds());
        assertEquals(SoundDesign.Hit.FOOTSTEP, SoundDesign.of("FOOTSTEPS on gravel, wind", "").hit());
    }

    /** A strict generator's job's end (its own provider, not the shared one). */
    static JobStatus awaitAt(LocalProvider p, ProviderJob job) throws Exception {
        for (int i = 0; i < 2400; i++) {
            JobStatus s = p.check(job, Deadline.NONE);
            if (!(s instanceof JobStatus.Running)) {
                return s;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("job did not finish");
    }

    @Test
    void withStrictUrlsItFetchesOnlyPublicAddressesAndFoleysOwnStorage() throws Exception {
        // Issue 13, item 2: the generator fetched with a client that followed any name and any redirect.
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        URI own = URI.create(media.url("bounce-4s.mp4"));
        try (LocalProvider strict = new LocalProvider(tmp.resolve("strict"), 1, true, Optional.empty());
                LocalProvider withOwn = new LocalProvider(tmp.resolve("own"), 1, true,
                        Optional.of(URI.create("http://" + own.getRawAuthority())))) {
            java.util.List<String> reasons = new java.util.ArrayList<>();
            for (String url : java.util.List.of(media.url("bounce-4s.mp4"), "http://127.0.0.1:" + closed + "/bounce-4s.mp4",
                    "http://[::1]:" + closed + "/x.mp4", "http://10.1.2.3/x.mp4")) {
                var r = new PredictionRequest(Kind.VIDEO, url, "a ball", "", 25, 4, 4.5, false, 1, false);
                JobStatus.Failed f = assertInstanceOf(JobStatus.Failed.class, awaitAt(strict, strict.submit(r, Optional.empty(),
                        Deadline.NONE)), url);
                reasons.add(f.reason().replaceAll("127\\.0\\.0\\.1|\\[::1\\]|::1|10\\.1\\.2\\.3", "<host>"));
            }
            assertTrue(reasons.get(0).contains("is not a public address"), reasons.toString());
            assertEquals(reasons.get(0), reasons.get(1), "an open port and a closed one read the same");
            assertEquals(1, reasons.stream().distinct().count(), "every private address is refused alike: " + reasons);
            // Local mode's S3 holds uploads and windows: the generator reads it even with strict URLs.
            JobStatus s = awaitAt(withOwn, withOwn.submit(video("bounce-4s.mp4", "a ball", 4, false, 1), Optional.empty(), Deadline.NONE));
            assertInstanceOf(JobStatus.Done.class, s, s.toString());
        }
    }

    @Test
    void aRestartedGeneratorKnowsEveryJobItWasGiven() throws Exception {
        // Issue 13, item 10: jobs lived only in memory; after a restart every one was "unknown" and its prediction failed.
        Path dir = tmp.resolve("restart");
        ProviderJob finished;
        ProviderJob cutShort;
        ProviderJob interrupted;
        String finishedUrl;
        try (LocalProvider before = new LocalProvider(dir, 1)) {
            finished = before.submit(video("bounce-4s.mp4", "a ball", 4, false, 7), Optional.empty(), Deadline.NONE);
            finishedUrl = assertInstanceOf(JobStatus.Done.class, awaitAt(before, finished)).outputs().get(0);
            // One worker, busy: this job is queued or running when the process goes.
            ProviderJob running = before.submit(video("bounce-12s.mp4", "a ball", 12, false, 8), Optional.empty(), Deadline.NONE);
            interrupted = running;
            cutShort = before.submit(video("bounce-4s.mp4", "a ball", 4, false, 9), Optional.empty(), Deadline.NONE);
            assertInstanceOf(JobStatus.Running.class, before.check(cutShort, Deadline.NONE));
        }
        try (LocalProvider after = new LocalProvider(dir, 1)) {
            JobStatus again = after.check(finished, Deadline.NONE);
            assertEquals(finishedUrl, assertInstanceOf(JobStatus.Done.class, again, again.toString()).outputs().get(0),
                    "a finished job answers with the URL it had: the file host is back on its port");
            assertEquals(200, HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(finishedUrl)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode());
            JobStatus redone = awaitAt(after, cutShort);
            String url = assertInstanceOf(JobStatus.Done.class, redone, redone.toString()).outputs().get(0);
            AudioProbe probe = AudioProbe.of(download(url, "redone.mp4"));
            assertEquals(4.0, probe.audioSeconds(), 0.05, "the unfinished job ran again from its request");
            JobStatus resumed = awaitAt(after, interrupted);
            assertInstanceOf(JobStatus.Done.class, resumed, "a job cut short by the shutdown is not recorded as failed: " + resumed);
            assertInstanceOf(JobStatus.Failed.class, after.check(ProviderJob.of("local", "0".repeat(32)), Deadline.NONE),
                    "a job it never had is still unknown");
        }
    }
}
