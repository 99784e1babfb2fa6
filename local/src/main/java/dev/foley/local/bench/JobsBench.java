package dev.foley.local.bench;

import dev.foley.api.FoleyApi;
import dev.foley.json.Json;
import dev.foley.local.ApiEvents;
import dev.foley.local.LocalServer;
import dev.foley.pipeline.Poller;
import dev.foley.prediction.Prediction;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code ./foley bench jobs}: provider jobs per prediction, as a provider's bill counts them. At
 * each stand-in latency (how long a submit takes to be answered; its job exists from the
 * request's arrival and runs 3 s), predictions go through the API handler while a poller runs
 * beside it, as deployed, polled only and with pushed callbacks. What the stand-in counts is what
 * a team would pay for.
 */
public final class JobsBench {

    static final int N = 20;
    static final List<Duration> LATENCIES = List.of(Duration.ofMillis(50), Duration.ofMillis(300), Duration.ofMillis(1500),
            Duration.ofSeconds(4), Duration.ofSeconds(8), Duration.ofSeconds(25));

    private JobsBench() {
    }

    public static void run(Path data, URI endpointOrNull, PrintStream out) throws Exception {
        PipelineBench.withMoto(data, endpointOrNull, out, endpoint -> {
            out.println();
            out.println("| submit answered after | callbacks | predictions | provider jobs | jobs per prediction | completed | failed |");
            out.println("| --- | --- | --- | --- | --- | --- | --- |");
            for (boolean push : new boolean[] {false, true}) {
                for (Duration latency : "1".equals(System.getenv("FOLEY_BENCH_CHAOS_ONLY")) ? List.<Duration>of() : LATENCIES) {
                    row(endpoint, latency, push, out);
                }
            }
            cdnBehind(endpoint, out);
            cancelsInAnOutage(endpoint, out);
        });
    }

    /**
     * Chaos, part 1: every output 404s for 3 s after its job ends (a CDN catching up); the job's end
     * is pushed at once (callbacks on), so the copy meets the 404s. From the job's end (the
     * stand-in's clock) to {@code completed} (Foley's record), and output GETs made.
     */
    static void cdnBehind(URI endpoint, PrintStream out) throws Exception {
        int port = PipelineBench.freePort();
        Map<String, String> env = Map.of("FOLEY_PUBLIC_BASE_URL", "http://127.0.0.1:" + port, "FOLEY_CALLBACK_BASE_URL",
                "http://127.0.0.1:" + port);
        try (PipelineBench.Stack st = PipelineBench.stack(endpoint, "cdn", env); LocalServer server = LocalServer.start(port, st.api())) {
            st.provider().behave(Duration.ZERO, Duration.ofSeconds(1), PipelineBench.SECRET);
            st.provider().filesMissingFor(Duration.ofSeconds(3));
            Poller poller = st.foley().poller(32, Duration.ofSeconds(60));
            Thread loop = PipelineBench.inBackground(poller, Duration.ofMillis(100));
            List<String> ids = submitAll(st, 10, "");
            List<Long> lags = new ArrayList<>();
            for (String id : ids) {
                Prediction p = awaitFinal(st, id, Duration.ofMinutes(3));
                if (p.phase() == dev.foley.prediction.Phase.COMPLETED && p.job() != null && st.provider().doneAt(p.job().id()) != null) {
                    lags.add(Duration.between(st.provider().doneAt(p.job().id()), p.completedAt()).toMillis());
                }
            }
            loop.interrupt();
            loop.join(10_000);
            java.util.Collections.sort(lags);
            out.println();
            out.println("| chaos: outputs 404 for 3 s after the job | predictions | completed | job end to completed p50 | max | output GETs per prediction |");
            out.println("| --- | --- | --- | --- | --- | --- |");
            out.printf("| CDN 3 s behind | %d | %d | %.1f s | %.1f s | %.1f |%n", ids.size(), lags.size(),
                    lags.isEmpty() ? 0 : lags.get(lags.size() / 2) / 1000.0, lags.isEmpty() ? 0 : lags.get(lags.size() - 1) / 1000.0,
                    st.provider().fileGets() / (double) ids.size());
        }
    }

    /**
     * Chaos, part 2: six predictions cancelled while the provider's cancel answers 503 for 90 s. When
     * each client's webhook arrived after its cancel, and how many DELETEs each job got in the outage.
     */
    static void cancelsInAnOutage(URI endpoint, PrintStream out) throws Exception {
        java.util.Map<String, java.time.Instant> hooks = new java.util.concurrent.ConcurrentHashMap<>();
        com.sun.net.httpserver.HttpServer receiver = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 16);
        receiver.createContext("/", ex -> {
            try (ex) {
                String body = new String(ex.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                hooks.putIfAbsent(Json.parse(body).path("id").asText(), java.time.Instant.now());
                ex.sendResponseHeaders(200, -1);
            }
        });
        receiver.start();
        Duration outage = Duration.ofSeconds(90);
        try (PipelineBench.Stack st = PipelineBench.stack(endpoint, "outage")) {
            st.provider().behave(Duration.ZERO, Duration.ofHours(1), null);
            Poller poller = st.foley().poller(32, Duration.ofSeconds(60));
            Thread loop = PipelineBench.inBackground(poller, Duration.ofMillis(100));
            String hook = "webhook=" + java.net.URLEncoder.encode("http://127.0.0.1:" + receiver.getAddress().getPort() + "/h",
                    java.nio.charset.StandardCharsets.UTF_8);
            List<String> ids = submitAll(st, 6, hook);
            for (String id : ids) {
                awaitPhase(st, id, dev.foley.prediction.Phase.SUBMITTED);
            }
            st.provider().outage(true);
            java.util.Map<String, java.time.Instant> cancelledAt = new java.util.HashMap<>();
            for (String id : ids) {
                st.api().handleRequest(ApiEvents.authed(PipelineBench.KEY, "POST", "/api/v3/predictions/" + id + "/cancel", null), null);
                cancelledAt.put(id, java.time.Instant.now());
            }
            java.time.Instant outageStart = java.time.Instant.now();
            Thread.sleep(outage.toMillis());
            java.time.Instant outageEnd = java.time.Instant.now();
            st.provider().outage(false);
            for (String id : ids) {
                Prediction p = awaitFinal(st, id, Duration.ofMinutes(3));
                while (p.dueAt() != null && java.time.Instant.now().isBefore(outageEnd.plus(Duration.ofMinutes(6)))) {
                    Thread.sleep(200);
                    p = st.foley().predictions().get(id).orElseThrow();
                }
            }
            loop.interrupt();
            loop.join(10_000);
            List<Long> told = new ArrayList<>();
            for (String id : ids) {
                java.time.Instant h = hooks.get(id);
                if (h != null) {
                    told.add(Duration.between(cancelledAt.get(id), h).toMillis());
                }
            }
            java.util.Collections.sort(told);
            int maxPerJob = 0;
            int total = 0;
            for (var calls : st.provider().cancels().values()) {
                int inOutage = (int) calls.stream().filter(t -> !t.isBefore(outageStart) && t.isBefore(outageEnd)).count();
                maxPerJob = Math.max(maxPerJob, inOutage);
                total += inOutage;
            }
            long stopped = ids.stream().map(id -> st.foley().predictions().get(id).orElseThrow())
                    .filter(p -> p.jobs().toStop(p.phase()).isEmpty()).count();
            out.println();
            out.println("| chaos: cancels while the provider is down 90 s | predictions | webhooks | cancel to webhook p50 | max |"
                    + " DELETEs in the outage (all jobs) | most for one job | per job per minute | jobs stopped after |");
            out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
            out.printf("| 503 on every cancel | %d | %d | %.2f s | %.2f s | %d | %d | %.1f | %d |%n", ids.size(), told.size(),
                    told.isEmpty() ? 0 : told.get(told.size() / 2) / 1000.0, told.isEmpty() ? 0 : told.get(told.size() - 1) / 1000.0,
                    total, maxPerJob, maxPerJob / (outage.toSeconds() / 60.0), stopped);
        } finally {
            receiver.stop(0);
        }
    }

    static List<String> submitAll(PipelineBench.Stack st, int n, String query) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            var r = st.api().handleRequest(ApiEvents.of("POST", FoleyApi.SUBMIT_VIDEO, query, Map.of("authorization", "Bearer "
                    + PipelineBench.KEY, "content-type", "application/json"),
                    "{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"bench\",\"duration\":4}", false), null);
            ids.add(Json.parse(r.getBody()).at("/data/id").asText());
        }
        return ids;
    }

    static Prediction awaitFinal(PipelineBench.Stack st, String id, Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        Prediction p = st.foley().predictions().get(id).orElseThrow();
        while (!p.phase().terminal() && System.nanoTime() < end) {
            Thread.sleep(100);
            p = st.foley().predictions().get(id).orElseThrow();
        }
        return p;
    }

    static void awaitPhase(PipelineBench.Stack st, String id, dev.foley.prediction.Phase phase) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (st.foley().predictions().get(id).orElseThrow().phase() != phase && System.nanoTime() < end) {
            Thread.sleep(50);
        }
    }

    static void row(URI endpoint, Duration latency, boolean push, PrintStream out) throws Exception {
        int port = PipelineBench.freePort();
        Map<String, String> env = push
                ? Map.of("FOLEY_PUBLIC_BASE_URL", "http://127.0.0.1:" + port, "FOLEY_CALLBACK_BASE_URL", "http://127.0.0.1:" + port)
                : Map.of();
        try (PipelineBench.Stack st = PipelineBench.stack(endpoint, "jobs", env); LocalServer server = LocalServer.start(port, st.api())) {
            st.provider().behave(latency, Duration.ofSeconds(3), push ? PipelineBench.SECRET : null);
            Poller poller = st.foley().poller(32, Duration.ofSeconds(60));
            Thread loop = PipelineBench.inBackground(poller, Duration.ofMillis(100));
            List<String> ids = new ArrayList<>();
            try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<String>> fs = new ArrayList<>();
                for (int i = 0; i < N; i++) {
                    fs.add(ex.submit(() -> {
                        var r = st.api().handleRequest(ApiEvents.authed(PipelineBench.KEY, "POST", FoleyApi.SUBMIT_VIDEO,
                                "{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"bench\",\"duration\":4}"), null);
                        return Json.parse(r.getBody()).at("/data/id").asText();
                    }));
                }
                for (Future<String> f : fs) {
                    ids.add(f.get());
                }
            }
            long end = System.nanoTime() + Duration.ofMinutes(4).toNanos();
            int completed = 0;
            int failed = 0;
            for (String id : ids) {
                Prediction p = st.foley().predictions().get(id).orElseThrow();
                while (!p.phase().terminal() && System.nanoTime() < end) {
                    Thread.sleep(100);
                    p = st.foley().predictions().get(id).orElseThrow();
                }
                completed += p.phase() == dev.foley.prediction.Phase.COMPLETED ? 1 : 0;
                failed += p.phase() == dev.foley.prediction.Phase.FAILED ? 1 : 0;
            }
            loop.interrupt();
            loop.join(10_000);
            int jobs = st.provider().submits();
            out.printf("| %s | %s | %d | %d | %.2f | %d | %d |%n", human(latency), push ? "pushed" : "polled only", N, jobs,
                    jobs / (double) N, completed, failed);
        }
    }

    static String human(Duration d) {
        return d.toMillis() < 1000 ? d.toMillis() + " ms" : (d.toMillis() / 1000.0) + " s";
    }
}
