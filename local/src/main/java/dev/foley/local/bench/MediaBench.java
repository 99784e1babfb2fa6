package dev.foley.local.bench;

import dev.foley.api.FoleyApi;
import dev.foley.json.Json;
import dev.foley.local.ApiEvents;
import dev.foley.local.LocalFoley;
import dev.foley.local.LocalServer;
import dev.foley.media.Ffmpeg;
import dev.foley.media.Sound;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.Windows;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code ./foley bench media}: the media function's own work and a long prediction end to end.
 * <ol>
 * <li>Split and join a 120 s 720p clip (8 s windows, 1 s overlap) with the media function's code, in
 *     a child JVM capped at {@code -Xmx256m} (an overflow would fail it), the provider's answer
 *     for each window a ready 8 s file (a stand-in that answers at once); S3 is left out.</li>
 * <li>A 60 s clip through the long model against a WaveSpeed stand-in whose jobs take T s each,
 *     pushing callbacks, at concurrency P, with K takes of every window: the time from submit to
 *     completed against the ideal ceil(K × N / P) × T.</li>
 * </ol>
 */
public final class MediaBench {

    private MediaBench() {
    }

    public static void run(Path data, URI endpointOrNull, PrintStream out) throws Exception {
        Path dir = Files.createDirectories(data.resolve("bench-media"));
        Path clip720 = dir.resolve("bounce-720p-120s.mp4");
        if (!Files.isRegularFile(clip720)) {
            out.println("making a 120 s 1280x720 24 fps test clip (once, kept in " + dir + ") ...");
            Clips.bounce(clip720, 1280, 720, 24, 120, impacts(120), 0, 0);
        }
        if (!"e2e".equals(System.getenv("FOLEY_BENCH_MEDIA"))) {
            splitAndJoin(clip720, dir, out);
        }
        PipelineBench.withMoto(data, endpointOrNull, out, endpoint -> endToEnd(endpoint, dir, out));
    }

    static double[] impacts(double seconds) {
        List<Double> t = new ArrayList<>();
        for (double x = 0.7; x < seconds - 0.5; x += 1.1 + 0.4 * Math.sin(x)) {
            t.add(Math.round(x * 100) / 100.0);
        }
        return t.stream().mapToDouble(Double::doubleValue).toArray();
    }

    // ---- 1. split and join in a JVM with a 256 MB heap ----

    static void splitAndJoin(Path clip, Path dir, PrintStream out) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"), MediaBench.class.getName(),
                clip.toString(), dir.toString());
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(proc.getInputStream().readAllBytes());
        int rc = proc.waitFor();
        out.println();
        out.println("split and join of a 120 s 1280x720 clip, 8 s windows, 1 s overlap, in a JVM with -Xmx256m (exit " + rc + "):");
        out.println();
        for (String line : text.split("\n")) {
            if (line.startsWith("|") || rc != 0) {
                out.println(line);
            }
        }
    }

    /** The child: three runs of split, then join; a row each, and the median. */
    public static void main(String[] args) throws Exception {
        Path clip = Path.of(args[0]);
        Path dir = Files.createTempDirectory(Path.of(args[1]), "run");
        double seconds = Ffmpeg.probe(clip).seconds();
        List<Windows.Window> plan = Windows.plan(seconds, 8, 1);
        // The stand-in's answer for every window: an 8 s sound file, ready at once.
        Path answer = dir.resolve("answer.m4a");
        float[] noise = new float[8 * Ffmpeg.RATE];
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        for (int i = 0; i < noise.length; i++) {
            noise[i] = (float) (0.1 * (r.nextDouble() - 0.5));
        }
        Ffmpeg.encode(noise, Ffmpeg.RATE, "m4a", answer);
        System.out.println("| run | windows | split (s) | join (s) | split + join (s) | peak heap (MB) |");
        System.out.println("| --- | --- | --- | --- | --- | --- |");
        double[] totals = new double[3];
        for (int run = 0; run < 3; run++) {
            System.gc();
            ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
            long t0 = System.nanoTime();
            Ffmpeg.cut(clip, plan, dir, (i, f) -> Files.delete(f));
            long t1 = System.nanoTime();
            List<float[]> tracks = new ArrayList<>();
            for (int i = 0; i < plan.size(); i++) {
                tracks.add(Ffmpeg.audio(answer, Ffmpeg.RATE));
            }
            float[] joined = Sound.join(plan, tracks, Ffmpeg.RATE, (int) Math.round(seconds * Ffmpeg.RATE), 1.0);
            tracks.clear();
            Path m4a = dir.resolve("sound.m4a");
            Ffmpeg.encode(joined, Ffmpeg.RATE, "m4a", m4a);
            Ffmpeg.mux(clip, m4a, seconds, dir.resolve("result.mp4"));
            long t2 = System.nanoTime();
            long peak = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    peak += pool.getPeakUsage().getUsed();
                }
            }
            totals[run] = (t2 - t0) / 1e9;
            System.out.printf(Locale.ROOT, "| %d | %d | %.2f | %.2f | %.2f | %.0f |%n", run + 1, plan.size(), (t1 - t0) / 1e9,
                    (t2 - t1) / 1e9, totals[run], peak / 1e6);
        }
        Arrays.sort(totals);
        System.out.printf(Locale.ROOT, "| median | %d | | | %.2f | |%n", plan.size(), totals[1]);
    }

    // ---- 2. end to end against a stand-in taking T s per window ----

    static void endToEnd(URI endpoint, Path dir, PrintStream out) throws Exception {
        Path clip = dir.resolve("bounce-320p-60s.mp4");
        if (!Files.isRegularFile(clip)) {
            Clips.bounce(clip, 320, 240, 25, 60, impacts(60), 0, 0);
        }
        Path answer = dir.resolve("window-answer.mp4");
        if (!Files.isRegularFile(answer)) {
            Clips.bounce(answer, 160, 120, 25, 8, new double[] {4}, 220, 0.2);
        }
        int windows = Windows.plan(60, 8, 1).size();
        out.println();
        out.println("a 60 s clip through foley/mmaudio-v2-long (" + windows + " windows), stand-in jobs of T s, pushed callbacks:");
        out.println();
        out.println("| T (s) | concurrency P | takes K | ideal ceil(K·N/P)·T (s) | submit → completed (s) | over ideal | cut done (s) | last window done (s) |");
        out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
        String only = System.getenv("FOLEY_BENCH_MEDIA_TP"); // e.g. "8x9" or "8x9x3", to look at one row
        int[][] rows = only == null ? new int[][] {{4, 2, 1}, {4, 4, 1}, {8, 4, 1}, {8, 9, 1}, {4, 4, 2}, {8, 9, 3}}
                : new int[][] {java.util.Arrays.stream((only + (only.split("x").length == 2 ? "x1" : "")).split("x"))
                        .mapToInt(Integer::parseInt).toArray()};
        for (int[] tp : rows) {
            row(endpoint, clip, Files.readAllBytes(answer), windows, tp[0], tp[1], tp[2], dir, out);
        }
    }

    static void row(URI endpoint, Path clip, byte[] answer, int windows, int t, int p, int takes, Path dir, PrintStream out)
            throws Exception {
        int port = PipelineBench.freePort();
        Map<String, String> env = Map.of("FOLEY_PUBLIC_BASE_URL", "http://127.0.0.1:" + port, "FOLEY_CALLBACK_BASE_URL",
                "http://127.0.0.1:" + port, "FOLEY_WINDOW_CONCURRENCY", "wavespeed=" + p);
        ExecutorService media = Executors.newFixedThreadPool(2);
        try (PipelineBench.Stack st = PipelineBench.stack(endpoint, "media", env, java.util.Optional.of(dir.resolve("work")), media);
                LocalServer server = LocalServer.start(port, st.api())) {
            st.provider().behave(Duration.ZERO, Duration.ofSeconds(t), PipelineBench.SECRET);
            st.provider().fileContents(answer);
            String key = "bench/" + System.nanoTime() + ".mp4";
            try (InputStream in = Files.newInputStream(clip)) {
                st.foley().outputStore().put(key, in, "video/mp4");
            }
            String video = st.foley().outputStore().workLink(key);
            long t0 = System.nanoTime();
            var resp = st.api().handleRequest(ApiEvents.authed(PipelineBench.KEY, "POST", FoleyApi.SUBMIT_LONG,
                    "{\"video\":\"" + video + "\",\"prompt\":\"bench\",\"num_samples\":" + takes + "}"), null);
            String id = Json.parse(resp.getBody()).at("/data/id").asText();
            Prediction pr = st.foley().predictions().get(id).orElseThrow();
            long end = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (!pr.phase().terminal() && System.nanoTime() < end) {
                Thread.sleep(20);
                pr = st.foley().predictions().get(id).orElseThrow();
            }
            double took = (System.nanoTime() - t0) / 1e9;
            double ideal = Math.ceil(windows * takes / (double) p) * t;
            // Where the time went, from what the prediction recorded: the cut's log line, the last window's end.
            java.time.Instant created = pr.createdAt();
            double cut = pr.attempts().stream().filter(l -> l.contains(" cut ")).findFirst()
                    .map(l -> Duration.between(created, java.time.Instant.parse(l.substring(0, l.indexOf(' ')))).toMillis() / 1e3).orElse(-1.0);
            double upstream = pr.upstreamAt() == null ? -1 : Duration.between(created, pr.upstreamAt()).toMillis() / 1e3;
            if ("1".equals(System.getenv("FOLEY_BENCH_TIMELINE"))) { // each child: made, job done at the provider, recorded, copied
                for (Prediction c : st.foley().predictions().windowsOf(id).stream()
                        .sorted(java.util.Comparator.comparing(Prediction::createdAt)).toList()) {
                    java.util.function.Function<java.time.Instant, String> rel = i -> i == null ? "-"
                            : String.format(Locale.ROOT, "%.2f", Duration.between(created, i).toMillis() / 1e3);
                    out.printf("  %s made %s job done %s recorded %s copied %s%n", c.id().substring(c.id().indexOf('_')), rel.apply(c.createdAt()),
                            rel.apply(c.job() == null ? null : st.provider().doneAt(c.job().id())), rel.apply(c.upstreamAt()), rel.apply(c.completedAt()));
                }
                pr.attempts().forEach(l -> out.println("  " + l));
            }
            out.printf(Locale.ROOT, "| %d | %d | %d | %.0f | %s | %s | %.2f | %.2f |%n", t, p, takes, ideal,
                    pr.phase() == Phase.COMPLETED ? String.format(Locale.ROOT, "%.2f", took) : pr.phase().code() + ": " + pr.error(),
                    pr.phase() == Phase.COMPLETED ? String.format(Locale.ROOT, "+%.1f %%", 100 * (took - ideal) / ideal) : "-", cut, upstream);
        } finally {
            media.shutdownNow();
        }
    }
}
