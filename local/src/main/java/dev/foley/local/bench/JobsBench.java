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
                for (Duration latency : LATENCIES) {
                    row(endpoint, latency, push, out);
                }
            }
        });
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
                        var r = st.api().handleRequest(ApiEvents.authedMap(PipelineBench.KEY, "POST", FoleyApi.SUBMIT_VIDEO,
                                "{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"bench\",\"duration\":4}"), null);
                        return Json.parse((String) r.get("body")).at("/data/id").asText();
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
