package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.local.bench.Clips;
import dev.foley.media.Ffmpeg;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file's length is the length of what it holds, not what its header declares. The clip is made
 * here: 40 s of a small bouncing ball at 2 fps ({@link Clips#bounce}), then its MP4 headers are
 * rewritten to claim 5 s (the {@code mvhd}, {@code tkhd} and {@code mdhd} durations, read as the
 * ISO base media file format lays them out), as a hostile uploader would to be charged for 5 s.
 * Before, the probe read the stream's declared duration and said 5 s.
 */
class DeclaredLengthTest {

    @TempDir
    Path dir;

    @Test
    void aHeaderThatUnderstatesTheLengthIsNotBelieved() throws Exception {
        Path honest = Clips.bounce(dir.resolve("honest.mp4"), 64, 48, 2, 40, new double[] {3, 17, 31}, 0, 0);
        Path lying = dir.resolve("lying.mp4");
        byte[] b = Files.readAllBytes(honest);
        int patched = declareSeconds(b, 5);
        assertTrue(patched >= 3, "mvhd, tkhd and mdhd rewritten: " + patched);
        Files.write(lying, b);
        assertEquals(40, Ffmpeg.probe(honest).seconds(), 0.6);
        assertEquals(40, Ffmpeg.probe(lying).seconds(), 0.6, "measured from the frames it holds, not the 5 s it declares");
    }

    /** Rewrites every movie, track and media header's duration to {@code seconds} (version 0 boxes); returns how many. */
    static int declareSeconds(byte[] mp4, int seconds) {
        int n = 0;
        ByteBuffer buf = ByteBuffer.wrap(mp4);
        int movieScale = 0;
        for (int i = 4; i + 4 < mp4.length; i++) {
            String type = new String(mp4, i, 4, StandardCharsets.ISO_8859_1);
            int box = i + 4; // version (1), flags (3) follow the type
            if (mp4[box] != 0) {
                continue; // version 1 (64-bit times): not what FFmpeg writes for a short clip
            }
            switch (type) {
                case "mvhd" -> {
                    movieScale = buf.getInt(box + 12);
                    buf.putInt(box + 16, seconds * movieScale);
                    n++;
                }
                case "tkhd" -> {
                    if (movieScale > 0) {
                        buf.putInt(box + 20, seconds * movieScale); // creation, modification, track id, reserved, duration
                        n++;
                    }
                }
                case "mdhd" -> {
                    int scale = buf.getInt(box + 12);
                    buf.putInt(box + 16, seconds * scale);
                    n++;
                }
                default -> {
                }
            }
        }
        return n;
    }
}
