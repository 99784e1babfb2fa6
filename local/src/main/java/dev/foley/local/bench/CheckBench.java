package dev.foley.local.bench;

import dev.foley.media.Ffmpeg;
import dev.foley.media.SoundCheck;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * {@code ./foley bench check}: the sound check's own time and heap on an 8 s clip and a 10-minute
 * clip (640x360, 25 fps, impacts at irregular times; a sound file of clicks on them), made here.
 * The time is the check of a result as the media function does it: decode the sound, loudness,
 * the picture's motion (decoded small), the sync search. Five runs of the short clip, two of the
 * long one; the median is reported, and the heap's peak (after a collection before each run).
 */
public final class CheckBench {

    private CheckBench() {
    }

    public static void run(Path data, PrintStream out) throws Exception {
        Path dir = Files.createDirectories(data.resolve("bench-check"));
        out.println();
        out.println("| clip | runs | check p50 | heap peak |");
        out.println("| --- | --- | --- | --- |");
        row(dir, "8 s, 640x360", 8, 5, out);
        row(dir, "10 min, 640x360", 600, 2, out);
    }

    static void row(Path dir, String name, int seconds, int runs, PrintStream out) throws Exception {
        Random r = new Random(seconds);
        List<Double> impacts = new ArrayList<>();
        for (double t = 0.6; t < seconds - 0.5; t += 0.4 + r.nextDouble() * 0.9) {
            impacts.add(t);
        }
        double[] at = impacts.stream().mapToDouble(Double::doubleValue).toArray();
        Path video = dir.resolve("clip-" + seconds + ".mp4");
        if (!Files.exists(video)) {
            Clips.bounce(video, 640, 360, 25, seconds, at, 0, 0);
        }
        Path sound = dir.resolve("clicks-" + seconds + ".flac");
        float[] x = new float[Ffmpeg.RATE * seconds];
        for (double t : at) {
            int i0 = (int) (t * Ffmpeg.RATE);
            for (int i = 0; i < Ffmpeg.RATE / 50 && i0 + i < x.length; i++) {
                x[i0 + i] = (float) (0.5 * Math.exp(-i / (Ffmpeg.RATE * 0.004)) * (r.nextDouble() * 2 - 1));
            }
        }
        Ffmpeg.encode(x, Ffmpeg.RATE, "flac", sound);
        List<Long> ms = new ArrayList<>();
        long peak = 0;
        for (int i = 0; i < runs; i++) {
            System.gc();
            resetPeaks();
            long t0 = System.nanoTime();
            SoundCheck c = SoundCheck.of(sound, Optional.of(video));
            ms.add((System.nanoTime() - t0) / 1_000_000);
            peak = Math.max(peak, heapPeak());
            if (c.sync() == null || c.sync().offsetMs() == null || Math.abs(c.sync().offsetMs()) > 40) {
                throw new IllegalStateException("the check went wrong on the bench clip: " + c);
            }
        }
        Collections.sort(ms);
        out.printf("| %s | %d | %d ms | %d MB |%n", name, runs, ms.get(ms.size() / 2), peak / (1024 * 1024));
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                p.resetPeakUsage();
            }
        }
    }

    private static long heapPeak() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                sum += p.getPeakUsage().getUsed();
            }
        }
        return sum;
    }
}
