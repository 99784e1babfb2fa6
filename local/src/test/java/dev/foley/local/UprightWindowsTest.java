package dev.foley.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.foley.local.bench.Clips;
import dev.foley.media.Ffmpeg;
import dev.foley.prediction.Windows;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A phone stores a portrait video on its side, with a display matrix that players follow. The
 * windows the model sees must be upright, as a person sees the video; the result keeps the matrix
 * (its picture is copied). The clip: a square that falls from the top and hits the floor at 0.5 s,
 * turned by a matrix only; where the square is in a window's first frame (the top) and at the
 * impact (the floor) shows which way the window was turned.
 */
class UprightWindowsTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(ints = {0, 90, 180, 270})
    void windowsAreUprightAndTheResultKeepsTheMatrix(int clockwise) throws Exception {
        Path flat = Clips.bounce(dir.resolve("flat.mp4"), 320, 240, 25, 4, new double[] {0.5, 1.5, 2.5, 3.5}, 0, 0);
        Path clip = clockwise == 0 ? flat : Clips.rotated(flat, dir.resolve("turned.mp4"), clockwise);
        Ffmpeg.Probe p = Ffmpeg.probe(clip);
        assertEquals(clockwise, p.rotation());
        assertEquals(List.of(320, 240), List.of(p.width(), p.height()), "stored as it was filmed");

        // The fixed split, and the split that follows the shots (which finds them in its own decode): both upright.
        Map<Integer, Path> windows = new TreeMap<>();
        Path out = Files.createDirectories(dir.resolve("windows"));
        Ffmpeg.cut(clip, p, List.of(new Windows.Window(0, 0, 2), new Windows.Window(1, 1.5, 2.5)), out, keep(windows, "window"));
        assertUpright(windows, clockwise);
        Map<Integer, Path> following = new TreeMap<>();
        var request = dev.foley.prediction.PredictionRequest.ofModel(dev.foley.prediction.Kind.LONG, dev.foley.model.Models.MMAUDIO_V2,
                dev.foley.json.Json.object().put("video", "https://x/v.mp4").put("prompt", "p").put("window_seconds", 4));
        assertEquals(List.of(), Ffmpeg.cutFollowingShots(clip, p, request, p.seconds(), out, keep(following, "following")), "one shot");
        assertEquals(1, following.size());
        assertUpright(following, clockwise);

        // The result copies the picture, matrix and all: players show it as they showed the clip.
        float[] tone = new float[Ffmpeg.RATE * 4];
        Ffmpeg.encode(tone, Ffmpeg.RATE, "m4a", dir.resolve("sound.m4a"));
        Ffmpeg.mux(clip, dir.resolve("sound.m4a"), p.seconds(), dir.resolve("result.mp4"));
        Ffmpeg.Probe r = Ffmpeg.probe(dir.resolve("result.mp4"));
        assertEquals(clockwise, r.rotation());
        assertEquals(List.of("h264", 320, 240), List.of(r.videoCodec(), r.width(), r.height()), "the picture copied");
    }

    private Ffmpeg.WindowSink keep(Map<Integer, Path> windows, String name) {
        return (i, w) -> {
            Path kept = dir.resolve(name + "-" + i + ".mp4");
            Files.move(w, kept);
            synchronized (windows) {
                windows.put(i, kept);
            }
        };
    }

    private static void assertUpright(Map<Integer, Path> windows, int clockwise) throws Exception {
        boolean portrait = clockwise == 90 || clockwise == 270;
        for (Path w : windows.values()) {
            Ffmpeg.Probe q = Ffmpeg.probe(w);
            assertEquals(portrait ? List.of(240, 320) : List.of(320, 240), List.of(q.width(), q.height()), w + " as shown");
            assertEquals(0, q.rotation(), "turned in its pixels, not by a matrix: the model reads pixels");
        }
        // Stored, the square is at the top at 0 s and on the floor (the bottom) at 0.5 s. Shown:
        double[] top = centroid(windows.get(0), 0.0);
        double[] floor = centroid(windows.get(0), 0.5);
        switch (clockwise) {
            case 0 -> assertTrue(top[1] < 0.3 && floor[1] > 0.7, "top above, floor below: " + describe(top, floor));
            case 90 -> assertTrue(top[0] > 0.7 && floor[0] < 0.3, "turned clockwise, the top is on the right: " + describe(top, floor));
            case 180 -> assertTrue(top[1] > 0.7 && floor[1] < 0.3, "upside down, the top is below: " + describe(top, floor));
            case 270 -> assertTrue(top[0] < 0.3 && floor[0] > 0.7, "turned anticlockwise, the top is on the left: " + describe(top, floor));
            default -> throw new AssertionError(clockwise);
        }

    }

    private static String describe(double[] top, double[] floor) {
        return String.format(java.util.Locale.ROOT, "top at (%.2f, %.2f), floor at (%.2f, %.2f) of the window", top[0], top[1], floor[0],
                floor[1]);
    }

    /** Where the bright square is in the frame nearest {@code seconds}, as fractions of width and height. */
    private static double[] centroid(Path video, double seconds) throws Exception {
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(video.toFile())) {
            g.setPixelFormat(avutil.AV_PIX_FMT_GRAY8);
            g.start();
            double[] nearest = null;
            double best = Double.MAX_VALUE;
            Frame f;
            while ((f = g.grabImage()) != null) {
                double off = Math.abs(f.timestamp / 1e6 - seconds);
                if (off >= best) {
                    continue;
                }
                best = off;
                ByteBuffer b = (ByteBuffer) f.image[0];
                double sx = 0, sy = 0, n = 0;
                for (int y = 0; y < f.imageHeight; y++) {
                    for (int x = 0; x < f.imageWidth; x++) {
                        if ((b.get(y * f.imageStride + x) & 0xff) > 128) {
                            sx += x;
                            sy += y;
                            n++;
                        }
                    }
                }
                assertTrue(n > 0, "the square is in the frame at " + seconds + " s");
                nearest = new double[] {sx / n / f.imageWidth, sy / n / f.imageHeight};
            }
            assertTrue(best < 0.021, "a frame at " + seconds + " s");
            return nearest;
        }
    }
}
