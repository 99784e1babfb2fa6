package dev.foley.local.bench;

import dev.foley.media.Ffmpeg;
import dev.foley.prediction.Windows;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./foley bench scenes}: what finding the shot cuts adds to the media function's split of a
 * long video. A 600 s 1280x720 24 fps clip of 24 shots (made once by {@link Clips#shots}, a cut
 * every 25 s, a square bouncing in each) is split, in a child JVM at {@code -Xmx256m}, three times
 * each way, alternated: into fixed 8 s windows (scene_cuts off: today's split), and into windows
 * that follow its shots, the cuts found in the split's own decode (the default). The target: no
 * more than 10 % slower.
 */
public final class ScenesBench {

    private ScenesBench() {
    }

    public static void run(Path data, PrintStream out) throws Exception {
        Path dir = Files.createDirectories(data.resolve("bench-scenes"));
        Path clip = dir.resolve("shots-720p-600s.mp4");
        if (!Files.isRegularFile(clip)) {
            out.println("making a 600 s 1280x720 24 fps clip of 24 shots (once, kept in " + dir + "; a few minutes) ...");
            double[] cuts = new double[23];
            for (int i = 0; i < cuts.length; i++) {
                cuts[i] = 25 * (i + 1);
            }
            Clips.shots(clip, 1280, 720, 24, 600, cuts, MediaBench.impacts(600), new double[0], Double.NaN);
        }
        if ("regenerate".equals(System.getenv("FOLEY_BENCH_SCENES"))) {
            PipelineBench.withMoto(data, null, out, endpoint -> regenerate(endpoint, dir, out));
            return;
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process proc = new ProcessBuilder(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                ScenesBench.class.getName(), clip.toString(), dir.toString())).redirectErrorStream(true).start();
        String text = new String(proc.getInputStream().readAllBytes());
        int rc = proc.waitFor();
        out.println();
        out.println("split of a 600 s 1280x720 clip of 24 shots, 8 s windows, 1 s overlap, -Xmx256m (exit " + rc + "):");
        out.println();
        for (String line : text.split("\n")) {
            if (line.startsWith("|") || line.startsWith("cuts") || rc != 0) {
                out.println(line);
            }
        }
        if (!"split".equals(System.getenv("FOLEY_BENCH_SCENES"))) {
            PipelineBench.withMoto(data, null, out, endpoint -> regenerate(endpoint, dir, out));
        }
    }

    /**
     * A regenerate of 5 s of a 120 s long prediction end to end, against the WaveSpeed stand-in
     * whose jobs take T s (pushed callbacks, moto as AWS): submit → completed against T, the one
     * window's own time. Foley's own time is the rest: the cut (the parent's picture fetched from our
     * bucket, its cuts found, one window cut), the hand-overs, the splice and the encode.
     */
    static void regenerate(java.net.URI endpoint, Path dir, PrintStream out) throws Exception {
        Path clip = dir.resolve("bounce-320p-120s.mp4");
        if (!Files.isRegularFile(clip)) {
            Clips.bounce(clip, 320, 240, 25, 120, MediaBench.impacts(120), 0, 0);
        }
        Path answer = dir.resolve("window-answer.mp4");
        if (!Files.isRegularFile(answer)) {
            Clips.bounce(answer, 160, 120, 25, 8, new double[] {4}, 220, 0.2);
        }
        out.println();
        out.println("a regenerate of 5 s (40-45 s) of a 120 s long prediction, stand-in jobs of T s, pushed callbacks, moto:");
        out.println();
        out.println("| T (s) | run | submit → completed (s) | Foley's own (s) | target (T + 2 s) |");
        out.println("| --- | --- | --- | --- | --- |");
        for (int t : new int[] {4, 8}) {
            int port = PipelineBench.freePort();
            java.util.Map<String, String> env = java.util.Map.of("FOLEY_PUBLIC_BASE_URL", "http://127.0.0.1:" + port,
                    "FOLEY_CALLBACK_BASE_URL", "http://127.0.0.1:" + port, "FOLEY_WINDOW_CONCURRENCY", "wavespeed=9");
            var media = java.util.concurrent.Executors.newFixedThreadPool(2);
            try (PipelineBench.Stack st = PipelineBench.stack(endpoint, "scenes", env, java.util.Optional.of(dir.resolve("work")), media);
                    dev.foley.local.LocalServer server = dev.foley.local.LocalServer.start(port, st.api())) {
                st.provider().behave(java.time.Duration.ZERO, java.time.Duration.ofSeconds(t), PipelineBench.SECRET);
                st.provider().fileContents(Files.readAllBytes(answer));
                String key = "bench/" + System.nanoTime() + ".mp4";
                try (var in = Files.newInputStream(clip)) {
                    st.foley().outputStore().put(key, in, "video/mp4");
                }
                String parent = submit(st, dev.foley.api.FoleyApi.SUBMIT_LONG, "{\"video\":\"" + st.foley().outputStore().workLink(key)
                        + "\",\"prompt\":\"bench\",\"output_format\":\"wav\"}");
                awaitEnd(st, parent);
                for (int run = 1; run <= 3; run++) {
                    long t0 = System.nanoTime();
                    String redo = submit(st, "/api/v3/predictions/" + parent + "/regenerate", "{\"start\":40,\"end\":45}");
                    var pr = awaitEnd(st, redo);
                    double took = (System.nanoTime() - t0) / 1e9;
                    out.printf(Locale.ROOT, "| %d | %d | %s | %.2f | %s |%n", t, run, pr.phase() == dev.foley.prediction.Phase.COMPLETED
                            ? String.format(Locale.ROOT, "%.2f", took) : pr.phase().code() + ": " + pr.error(), took - t,
                            took - t <= 2 ? "met" : "not met");
                }
            } finally {
                media.shutdownNow();
            }
        }
    }

    private static String submit(PipelineBench.Stack st, String path, String body) {
        var resp = st.api().handleRequest(dev.foley.local.ApiEvents.authed(PipelineBench.KEY, "POST", path, body), null);
        return dev.foley.json.Json.parse(resp.getBody()).at("/data/id").asText();
    }

    private static dev.foley.prediction.Prediction awaitEnd(PipelineBench.Stack st, String id) throws InterruptedException {
        var pr = st.foley().predictions().get(id).orElseThrow();
        long end = System.nanoTime() + java.time.Duration.ofMinutes(5).toNanos();
        while (!pr.phase().terminal() && System.nanoTime() < end) {
            Thread.sleep(20);
            pr = st.foley().predictions().get(id).orElseThrow();
        }
        return pr;
    }

    /** The child: three rounds of (fixed split; the split that follows the shots, finding them in its own decode). */
    public static void main(String[] args) throws Exception {
        Path clip = Path.of(args[0]);
        Path dir = Files.createTempDirectory(Path.of(args[1]), "run");
        var probe = Ffmpeg.probe(clip);
        double seconds = probe.seconds();
        List<Windows.Window> fixed = Windows.plan(seconds, 8, 1);
        var request = dev.foley.prediction.PredictionRequest.ofModel(dev.foley.prediction.Kind.LONG, dev.foley.model.Models.MMAUDIO_V2,
                dev.foley.json.Json.object().put("video", "https://bench/v.mp4").put("prompt", "bench"));
        System.out.println("| round | fixed: windows | fixed split (s) | following: cuts found | windows | split finding them (s) "
                + "| over fixed | peak heap (MB) |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
        double[] fixedTimes = new double[3];
        double[] sceneTimes = new double[3];
        for (int round = 0; round < 3; round++) {
            System.gc();
            ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
            long t0 = System.nanoTime();
            Ffmpeg.cut(clip, probe, fixed, dir, (i, f) -> Files.delete(f));
            long t1 = System.nanoTime();
            List<Double> cuts = Ffmpeg.cutFollowingShots(clip, probe, request, seconds, dir, (i, f) -> Files.delete(f));
            long t2 = System.nanoTime();
            long peak = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    peak += pool.getPeakUsage().getUsed();
                }
            }
            fixedTimes[round] = (t1 - t0) / 1e9;
            sceneTimes[round] = (t2 - t1) / 1e9;
            int windows = Windows.planFor(request, seconds, cuts).size();
            System.out.printf(Locale.ROOT, "| %d | %d | %.2f | %d | %d | %.2f | %+.1f %% | %.0f |%n", round + 1, fixed.size(),
                    fixedTimes[round], cuts.size(), windows, sceneTimes[round], 100 * (sceneTimes[round] / fixedTimes[round] - 1), peak / 1e6);
            if (round == 0) {
                System.out.println("cuts at " + new ArrayList<>(cuts));
            }
        }
        Arrays.sort(fixedTimes);
        Arrays.sort(sceneTimes);
        System.out.printf(Locale.ROOT, "| median | | %.2f | | | %.2f | %+.1f %% | |%n", fixedTimes[1], sceneTimes[1],
                100 * (sceneTimes[1] / fixedTimes[1] - 1));
    }
}
