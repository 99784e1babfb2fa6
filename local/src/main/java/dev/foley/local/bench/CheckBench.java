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
import java.util.Map;
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

    public static void run(Path data, java.net.URI endpointOrNull, PrintStream out) throws Exception {
        Path dir = Files.createDirectories(data.resolve("bench-check"));
        if (!"latency".equals(System.getenv("FOLEY_BENCH_CHECK"))) {
            out.println();
            out.println("| clip | runs | check p50 | heap peak |");
            out.println("| --- | --- | --- | --- |");
            row(dir, "8 s, 640x360", 8, 5, out);
            row(dir, "10 min, 640x360", 600, 2, out);
            smallestHeap(dir, out);
        }
        PipelineBench.withMoto(data, endpointOrNull, out, endpoint -> latency(endpoint, dir, out));
    }

    /**
     * The heap the 10-minute check needs, found as it matters (a JVM that runs out fails): the
     * check run in child JVMs with -Xmx 256, 224, 192, 160 MB until one fails. (The pools' peak in
     * the table above counts garbage not yet collected, so it overstates what the check holds.)
     */
    static void smallestHeap(Path dir, PrintStream out) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Integer smallest = null;
        String failed = null;
        for (int mb : new int[] {256, 224, 192, 160}) {
            List<String> cmd = List.of(java, "-Xmx" + mb + "m", "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED", "-cp",
                    System.getProperty("java.class.path"), CheckBench.class.getName(), dir.resolve("clicks-600.flac").toString(),
                    dir.resolve("clip-600.mp4").toString());
            Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String text = new String(proc.getInputStream().readAllBytes());
            if (proc.waitFor() != 0) {
                failed = mb + " MB: " + (text.contains("OutOfMemoryError") ? "out of memory" : text.lines().reduce((a, b) -> b).orElse("exit"));
                break;
            }
            smallest = mb;
        }
        out.println();
        out.printf("the 10-minute check in a child JVM: runs with -Xmx%s; %s%n", smallest == null ? "(none tried)" : smallest + "m",
                failed == null ? "runs at every size tried" : "fails at " + failed);
    }

    /** The child of {@link #smallestHeap}: one check of a sound file against a video. */
    public static void main(String[] args) throws Exception {
        SoundCheck c = SoundCheck.of(Path.of(args[0]), Optional.of(Path.of(args[1])));
        if (c.sync() == null || c.sync().offsetMs() == null) {
            throw new IllegalStateException("the check went wrong: " + c);
        }
    }

    /**
     * What the check adds from the provider's done to {@code completed}: short predictions (8 s,
     * an 8 s answer with sound, the client's clip in our bucket) against the stand-in (jobs of 2 s,
     * results pushed), with {@code sound_check} off (the result copied, no media step) and on (the
     * media step fetches the output and the clip, checks, stores), the media step run in-process on
     * two threads as local mode does. From the stand-in's clock at the job's end to Foley's record.
     */
    static void latency(java.net.URI endpoint, Path dir, PrintStream out) throws Exception {
        Path clip = dir.resolve("clip-8.mp4");
        if (!Files.exists(clip)) {
            Clips.bounce(clip, 640, 360, 25, 8, new double[] {1.1, 2.9, 4.2, 6.3}, 0, 0);
        }
        Path answer = dir.resolve("answer-8.mp4");
        if (!Files.exists(answer)) {
            Clips.bounce(answer, 320, 240, 25, 8, new double[] {1.1, 2.9, 4.2, 6.3}, 220, 0.2);
        }
        out.println();
        out.println("| sound_check | predictions | completed | provider done → completed p50 | p90 |");
        out.println("| --- | --- | --- | --- | --- |");
        for (boolean check : new boolean[] {false, true}) {
            int port = PipelineBench.freePort();
            Map<String, String> env = Map.of("FOLEY_PUBLIC_BASE_URL", "http://127.0.0.1:" + port, "FOLEY_CALLBACK_BASE_URL",
                    "http://127.0.0.1:" + port);
            java.util.concurrent.ExecutorService media = java.util.concurrent.Executors.newFixedThreadPool(2);
            try (PipelineBench.Stack st = PipelineBench.stack(endpoint, "checklag", env, java.util.Optional.of(dir.resolve("work")), media);
                    dev.foley.local.LocalServer server = dev.foley.local.LocalServer.start(port, st.api())) {
                st.provider().behave(java.time.Duration.ZERO, java.time.Duration.ofSeconds(2), PipelineBench.SECRET);
                st.provider().fileContents(Files.readAllBytes(answer));
                String key = "bench/" + System.nanoTime() + ".mp4";
                try (var in = Files.newInputStream(clip)) {
                    st.foley().outputStore().put(key, in, "video/mp4");
                }
                String video = st.foley().outputStore().workLink(key);
                var poller = st.foley().poller(32, java.time.Duration.ofSeconds(60));
                Thread loop = PipelineBench.inBackground(poller, java.time.Duration.ofMillis(100));
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    var r = st.api().handleRequest(dev.foley.local.ApiEvents.authed(PipelineBench.KEY, "POST",
                            dev.foley.api.FoleyApi.SUBMIT_VIDEO, "{\"video\":\"" + video + "\",\"prompt\":\"bench\",\"duration\":8,"
                                    + "\"sound_check\":" + check + "}"), null);
                    ids.add(dev.foley.json.Json.parse(r.getBody()).at("/data/id").asText());
                    Thread.sleep(400); // arrivals spread out, as clients send them
                }
                List<Long> lags = new ArrayList<>();
                for (String id : ids) {
                    var p = JobsBench.awaitFinal(st, id, java.time.Duration.ofMinutes(2));
                    if (p.phase() == dev.foley.prediction.Phase.COMPLETED && p.job() != null && st.provider().doneAt(p.job().id()) != null) {
                        if (check == p.quality().isEmpty()) {
                            throw new IllegalStateException("sound_check " + check + " but quality " + p.quality());
                        }
                        lags.add(java.time.Duration.between(st.provider().doneAt(p.job().id()), p.completedAt()).toMillis());
                    }
                }
                loop.interrupt();
                loop.join(10_000);
                Collections.sort(lags);
                out.printf(java.util.Locale.ROOT, "| %s | %d | %d | %d ms | %d ms |%n", check ? "on (default)" : "off", ids.size(), lags.size(),
                        lags.isEmpty() ? -1 : lags.get(lags.size() / 2), lags.isEmpty() ? -1 : lags.get((int) Math.floor(lags.size() * 0.9)));
            } finally {
                media.shutdownNow();
            }
        }
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
