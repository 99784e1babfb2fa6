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
    private final dev.foley.provider.ProviderChain providers;
    private final ExecutorService completions;
    private final List<Thread> pollers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean running = true;

    private RunningStack(Settings settings, dev.foley.provider.ProviderChain providers, ExecutorService completions,
            ExecutorService media, java.util.Optional<java.nio.file.Path> mediaDir, int port) throws Exception {
        this.settings = settings;
        this.providers = providers;
        this.completions = completions;
        this.media = media;
        // Wired as local mode is: completion and media work each on their own threads, handed the pipeline they run for.
        this.foley = Moto.foley(settings, providers, Clock.systemUTC(),
                java.util.Optional.of(pipeline -> id -> completions.submit(() -> pipeline.runToRest(id))),
                mediaDir.map(d -> (Foley.Handoff) pipeline -> id -> media.submit(() -> pipeline.runMedia(id))),
                mediaDir.map(dev.foley.local.LocalFoley::media));
        this.api = new ApiHandler(foley.api());
        this.server = LocalServer.start(port, api);
    }

    private static RunningStack wired(Settings s, dev.foley.provider.ProviderChain providers, java.util.Optional<java.nio.file.Path> mediaDir,
            int port) throws Exception {
        return new RunningStack(s, providers, Executors.newVirtualThreadPerTaskExecutor(),
                Executors.newThreadPerTaskExecutor(Thread.ofPlatform().daemon().factory()), mediaDir, port);
    }

    /**
     * A stack with {@code env} on top of a fresh table. {@code push}: providers get a callback URL
     * on this stack's own server.
     */
    static RunningStack start(String name, Map<String, String> env, ProviderHttp.Policies policies, boolean push) throws Exception {
        return start(name, env, all -> Moto.providers(all, policies), push);
    }

    /** The same, with providers made from the stack's environment by {@code providers}. */
    static RunningStack start(String name, Map<String, String> env,
            java.util.function.Function<Map<String, String>, dev.foley.provider.ProviderChain> providers, boolean push) throws Exception {
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
        return wired(s, providers.apply(all), java.util.Optional.empty(), port);
    }

    /**
     * A second stack on this one's table and buckets, as after a crash and a restart: new
     * processes (pollers, completion, media), nothing carried over but what is stored.
     */
    RunningStack restarted(dev.foley.provider.ProviderChain providers) throws Exception {
        return wired(settings, providers, java.util.Optional.empty(), 0);
    }

    /**
     * A stack on the offline generator (the {@code local} provider, data under {@code dir}) with media
     * work, one poller, and loopback URLs allowed (test clips are served from 127.0.0.1).
     */
    static RunningStack offline(String name, java.nio.file.Path dir) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("FOLEY_PROVIDER", "local");
        env.put("FOLEY_STRICT_URLS", "false");
        List<AutoCloseable> owned = new java.util.concurrent.CopyOnWriteArrayList<>();
        RunningStack st = start(name, env, all -> dev.foley.local.LocalFoley.providers(all, dir.resolve("data"), owned), false)
                .withMedia(dir.resolve("media")).withPollers(1);
        st.owned.addAll(owned);
        return st;
    }

    private final List<AutoCloseable> owned = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * This stack wired again with media work as the media function does it (FFmpeg, files under
     * {@code dir}), each hand-over on its own thread, on the same port: the pipeline is given its
     * hand-offs when it is built, so a stack with media is a stack built with it. Call it first.
     */
    RunningStack withMedia(java.nio.file.Path dir) throws Exception {
        if (!pollers.isEmpty()) {
            throw new IllegalStateException("withMedia before withPollers: the stack is built again");
        }
        int port = server.port();
        server.close();
        completions.shutdownNow();
        media.shutdownNow();
        return new RunningStack(settings, providers, completions.isShutdown() ? Executors.newVirtualThreadPerTaskExecutor() : completions,
                Executors.newThreadPerTaskExecutor(Thread.ofPlatform().daemon().factory()), java.util.Optional.of(dir), port);
    }

    /** As local mode (and Lambda): each hand-over on its own thread. */
    private final ExecutorService media;

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

    /** A POST as a client sends it: its status and its whole answer, whatever it is. */
    java.util.Map.Entry<Integer, JsonNode> post(String path, String body) {
        var e = ApiEvents.of("POST", path, "", Map.of("authorization", "Bearer " + KEY, "content-type", "application/json"), body, false);
        var r = Lambdas.api(api, e);
        return java.util.Map.entry(r.getStatusCode(), Json.parse(r.getBody()));
    }

    /** {@code GET /api/v3/predictions}'s data: the key's predictions. */
    JsonNode list() {
        var r = Lambdas.api(api, ApiEvents.authed(KEY, "GET", "/api/v3/predictions", null));
        assertEquals(200, r.getStatusCode(), r.getBody());
        return Json.parse(r.getBody()).get("data");
    }

    JsonNode submitVideo(String body) {
        return submit(FoleyApi.SUBMIT_VIDEO, body, null);
    }

    /** {@code GET /api/v3/predictions/{id}/result}'s data. */
    JsonNode result(String id) {
        var r = Lambdas.api(api, ApiEvents.authed(KEY, "GET", "/api/v3/predictions/" + id + "/result", null));
        assertEquals(200, r.getStatusCode(), r.getBody());
        return Json.parse(r.getBody()).get("data");
    }

    /** Downloads an output link to {@code to}. */
    static void download(String url, java.nio.file.Path to) throws Exception {
        var resp = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofFile(to));
        assertEquals(200, resp.statusCode(), "downloading " + url);
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
        media.shutdownNow();
        server.close();
        for (AutoCloseable c : owned) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing down
            }
        }
    }
}
