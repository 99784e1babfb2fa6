package dev.foley.local.pipeline;

import dev.foley.local.Lambdas;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.Foley;
import dev.foley.api.FoleyApi;
import dev.foley.config.Settings;
import dev.foley.functions.api.ApiHandler;
import dev.foley.json.Json;
import dev.foley.local.ApiEvents;
import dev.foley.local.LocalServer;
import dev.foley.local.Moto;
import dev.foley.pipeline.Poller;
import dev.foley.prediction.Prediction;
import dev.foley.provider.ProviderHttp;
import dev.foley.time.Deadline;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;

/**
 * Foley running as it runs deployed, on a fresh table of the shared moto: the API handler (also
 * behind a local HTTP server, so providers can push callbacks to it), pollers ticking on their own
 * threads, completion on its own threads. Tests submit through the handler and wait for outcomes;
 * nothing here is timed.
 */
final class RunningStack implements AutoCloseable {

    static final String KEY = "fk_running-stack-key-0123456789";

    final Settings settings;
    final Foley foley;
    final ApiHandler api;
    final LocalServer server;
    private final ExecutorService completions = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Thread> pollers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean running = true;

    private RunningStack(Settings settings, Foley foley, ApiHandler api, LocalServer server) {
        this.settings = settings;
        this.foley = foley;
        this.api = api;
        this.server = server;
    }

    /**
     * A stack with {@code env} on top of a fresh table. {@code push}: providers get a callback URL
     * on this stack's own server.
     */
    static RunningStack start(String name, Map<String, String> env, ProviderHttp.Policies policies, boolean push) throws Exception {
        Map<String, String> all = new HashMap<>(env);
        all.putIfAbsent("FOLEY_OUTPUTS_BUCKET", "out-" + Moto.tableName(name).toLowerCase());
        all.putIfAbsent("FOLEY_UPLOADS_BUCKET", "up-" + Moto.tableName(name).toLowerCase());
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        if (push) {
            // The callback base defaults to the public base: set both, or neither (then links are built from requests).
            all.put("FOLEY_PUBLIC_BASE_URL", "http://127.0.0.1:" + port);
            all.put("FOLEY_CALLBACK_BASE_URL", "http://127.0.0.1:" + port);
        }
        Settings first = Moto.settings(Moto.tableName(name), all);
        var dynamo = Moto.freshTable(first);
        // The key first: S3-triggered predictions are charged to it, as local mode's dev key.
        String keyId = new dev.foley.store.ApiKeyStore(dynamo, first.table(), Clock.systemUTC()).create("stack", KEY).key().keyId();
        all.put("INGEST_KEY_ID", keyId);
        Settings s = Moto.settings(first.table(), all);
        Foley foley = Moto.foley(s, dynamo, Moto.providers(all, policies));
        ApiHandler api = new ApiHandler(foley.api());
        RunningStack st = new RunningStack(s, foley, api, LocalServer.start(port, api));
        foley.pipeline().completionBy(id -> st.completions.submit(() -> foley.pipeline().runToRest(id)));
        return st;
    }

    /** Starts {@code n} pollers, each ticking on its own thread as local mode's does. */
    RunningStack withPollers(int n) {
        for (int i = 0; i < n; i++) {
            Poller p = foley.poller(16, Duration.ofSeconds(60));
            pollers.add(Thread.ofPlatform().daemon().name("test-poller-" + i).start(() -> {
                while (running) {
                    try {
                        p.runFor(Duration.ofSeconds(30), Duration.ofMillis(100), Deadline.in(Clock.systemUTC(), Duration.ofSeconds(60)));
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException e) {
                        if (!running) {
                            return;
                        }
                    }
                }
            }));
        }
        return this;
    }

    String callbackBase() {
        return server.baseUrl();
    }

    JsonNode submit(String path, String body, String query) {
        var e = ApiEvents.of("POST", path, query == null ? "" : query,
                Map.of("authorization", "Bearer " + KEY, "content-type", "application/json"), body, false);
        var r = Lambdas.api(api, e);
        assertEquals(200, r.getStatusCode(), r.getBody());
        return Json.parse(r.getBody()).get("data");
    }

    JsonNode submitVideo(String body) {
        return submit(FoleyApi.SUBMIT_VIDEO, body, null);
    }

    int cancel(String id) {
        return Lambdas.api(api, ApiEvents.authed(KEY, "POST", "/api/v3/predictions/" + id + "/cancel", null)).getStatusCode();
    }

    Prediction prediction(String id) {
        return foley.predictions().get(id).orElseThrow();
    }

    /** Waits (up to {@code max}) until {@code done} holds for the prediction; fails with its state otherwise. */
    Prediction await(String id, Predicate<Prediction> done, Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        Prediction p = prediction(id);
        while (!done.test(p)) {
            if (System.nanoTime() > end) {
                fail("prediction " + id + " did not get there: " + p);
            }
            Thread.sleep(50);
            p = prediction(id);
        }
        return p;
    }

    /** Final, and owing nothing more (webhook delivered or given up, jobs stopped). */
    static boolean settled(Prediction p) {
        return p.phase().terminal() && p.dueAt() == null && p.lease() == null;
    }

    @Override
    public void close() {
        running = false;
        pollers.forEach(Thread::interrupt);
        for (Thread t : pollers) {
            try {
                t.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        completions.shutdownNow();
        server.close();
    }
}
