package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.local.generator.AudioProbe;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./foley generate}: a local clip in, the clip with its new soundtrack out. */
@ExtendWith(Moto.class)
class GenerateCliTest {

    @TempDir
    Path tmp;

    int run(ByteArrayOutputStream buf, String... args) throws Exception {
        return FoleyCli.run(args, new PrintStream(buf, true, StandardCharsets.UTF_8), new PrintStream(buf, true, StandardCharsets.UTF_8));
    }

    @Test
    void writesTheVideoWithASyncedSoundtrack() throws Exception {
        Path clip = Moto.projectRoot().resolve("local/src/test/resources/media/bounce-4s.mp4");
        Path out = tmp.resolve("bounce.foley.mp4");
        var buf = new ByteArrayOutputStream();
        int rc = run(buf, "generate", "--video", clip.toString(), "--prompt", "a ball bouncing on a wooden floor",
                "--out", out.toString(), "--aws-endpoint", Moto.endpoint().toString(), "--data", tmp.toString(),
                "--template", Moto.template().toString());
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, text);
        assertTrue(text.contains("completed"), text);
        AudioProbe p = AudioProbe.of(out);
        assertEquals("h264", p.videoCodec());
        assertEquals(4.0, p.audioSeconds(), 0.05);
        for (double impact : new double[] {0.5, 1.5, 2.5, 3.5}) {
            assertTrue(p.onsets().stream().anyMatch(t -> Math.abs(t - impact) <= 0.08), p.onsets().toString());
        }
    }

    /** Segments: each stretch its prompt (the long path, chosen by them), the scenes printed; a malformed one named before anything starts. */
    @Test
    void segmentsGoToTheLongPathAndABadOneIsNamedFirst() throws Exception {
        Path clip = Moto.projectRoot().resolve("local/src/test/resources/media/bounce-12s.mp4");
        var bad = new ByteArrayOutputStream();
        assertEquals(2, run(bad, "generate", "--video", clip.toString(), "--segment", "nonsense"));
        assertTrue(bad.toString(StandardCharsets.UTF_8).contains("--segment: START:END=PROMPT"), bad.toString(StandardCharsets.UTF_8));
        assertFalse(bad.toString(StandardCharsets.UTF_8).contains("local stack up"), "refused before the local stack starts: "
                + bad.toString(StandardCharsets.UTF_8));
        var refused = new ByteArrayOutputStream();
        int rc = run(refused, "generate", "--video", clip.toString(), "--segment", "0:0.5=engine hum", "--aws-endpoint",
                Moto.endpoint().toString(), "--data", tmp.toString(), "--template", Moto.template().toString());
        assertEquals(2, rc);
        assertTrue(refused.toString(StandardCharsets.UTF_8).contains("segments[0].end: a segment is at least 1 s long"),
                refused.toString(StandardCharsets.UTF_8));
        var buf = new ByteArrayOutputStream();
        Path out = tmp.resolve("segments.wav");
        rc = run(buf, "generate", "--video", clip.toString(), "--segment", "0:6=engine hum", "--segment", "6:12=birds chirping",
                "--format", "wav", "--out", out.toString(), "--aws-endpoint", Moto.endpoint().toString(), "--data", tmp.toString(),
                "--template", Moto.template().toString());
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, text);
        assertTrue(text.contains("(foley/mmaudio-v2-long)") && text.contains("scenes: 0.00-12.00 s"), text);
        assertEquals(12.0, AudioProbe.of(out).audioSeconds(), 0.05);
    }

    @Test
    void aClipPastThirtySecondsGoesToTheLongModelAndShowsItsWindows() throws Exception {
        Path clip = dev.foley.local.bench.Clips.bounce(tmp.resolve("long.mp4"), 160, 120, 25, 33, new double[] {2.5, 12.5, 24.5, 31.5}, 0, 0);
        Path out = tmp.resolve("long.wav");
        var buf = new ByteArrayOutputStream();
        int rc = run(buf, "generate", "--video", clip.toString(), "--prompt", "a ball bouncing", "--format", "wav",
                "--out", out.toString(), "--aws-endpoint", Moto.endpoint().toString(), "--data", tmp.toString(),
                "--template", Moto.template().toString());
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, text);
        assertTrue(text.contains("the clip is 33.0 s long, past the hosted models' 30 s: using foley/mmaudio-v2-long"), text);
        assertTrue(text.contains("windows 5/5"), "progress per window: " + text);
        AudioProbe p = AudioProbe.of(out);
        assertFalse(p.hasVideo());
        assertEquals("pcm_s16le", p.audioCodec());
        assertEquals(33.0, p.audioSeconds(), 0.05);
    }

    @Test
    void textToAudioAndABadValueNamedByTheApi() throws Exception {
        Path out = tmp.resolve("rain.flac");
        var buf = new ByteArrayOutputStream();
        assertEquals(0, run(buf, "generate", "--prompt", "rain on a tin roof", "--duration", "2", "--out", out.toString(),
                "--aws-endpoint", Moto.endpoint().toString(), "--data", tmp.toString(), "--template", Moto.template().toString()),
                buf.toString());
        assertEquals(2.0, AudioProbe.of(out).audioSeconds(), 0.05);
        var bad = new ByteArrayOutputStream();
        assertEquals(2, run(bad, "generate", "--prompt", "x", "--duration", "forty", "--aws-endpoint", Moto.endpoint().toString(),
                "--data", tmp.toString(), "--template", Moto.template().toString()));
        assertTrue(bad.toString().contains("duration: must be an integer between 1 and 30, got \"forty\""), bad.toString());
    }

    @Test
    void aMissingClipIsNamedBeforeAnythingStarts() {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        Path missing = tmp.resolve("no-such-clip.mp4");
        int rc = FoleyCli.run(new String[] {"generate", "--video", missing.toString(), "--prompt", "x", "--data", tmp.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, rc);
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("foley: --video: no such file: " + missing), err.toString());
        assertEquals("", out.toString(StandardCharsets.UTF_8), "nothing was started");
    }
}
