package dev.foley.local.bench;

import com.sun.net.httpserver.HttpServer;
import dev.foley.Foley;
import dev.foley.config.Settings;
import dev.foley.functions.api.ApiHandler;
import dev.foley.json.Json;
import dev.foley.local.ApiEvents;
import dev.foley.local.LocalFoley;
import dev.foley.local.LocalAws;
import dev.foley.local.TemplateTable;
import dev.foley.pipeline.Poller;
import dev.foley.prediction.IdGenerator;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.ProviderJob;
import dev.foley.provider.WebhookSignatures;
import dev.foley.store.PredictionStore;
import dev.foley.time.Deadline;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * {@code ./foley bench pipeline}: the pipeline's targets (DESIGN.md) on this machine, against moto
 * and a provider stand-in that answers at once: an idle poller run; one poller run over 2,000 due
 * predictions next to moto's own rate for the same operations; provider completion to webhook,
 * with a push callback and by polling alone; and the heap while copying a 500 MB output.
 */
public final class PipelineBench {

    public static final String KEY = "fk_pipeline-bench-key-0123456789";
    static final String SECRET = "whsec_benchSecretText0123456789";

    private PipelineBench() {
    }

    public record Stack(Settings settings, DynamoDbClient dynamo, Foley foley, ProviderStandIn provider, ApiHandler api,
            ExecutorService completions, String keyId) implements AutoCloseable {
        @Override
        public void close() {
            completions.shutdownNow();
            provider.close();
            dynamo.close();
        }
    }

    public static Stack stack(URI endpoint, String name) throws Exception {
        return stack(endpoint, name, Map.of("FOLEY_PUBLIC_BASE_URL", "http://bench.local"));
    }

    /** A stack with {@code extra} on top of the bench's environment. */
    public static Stack stack(URI endpoint, String name, Map<String, String> extra) throws Exception {
        return stack(endpoint, name, extra, java.util.Optional.empty(), null);
    }

    /** The same with media work (FFmpeg, files under {@code mediaDir}), each media step on {@code mediaThreads}. */
    public static Stack stack(URI endpoint, String name, Map<String, String> extra, java.util.Optional<Path> mediaDir,
            ExecutorService mediaThreads) throws Exception {
        ProviderStandIn provider = new ProviderStandIn();
        Map<String, String> env = new HashMap<>();
        env.put("FOLEY_TABLE", name + "-" + System.nanoTime());
        env.put("AWS_REGION", "us-east-1");
        env.put("AWS_ENDPOINT_URL", endpoint.toString());
        env.put("FOLEY_STRICT_URLS", "false");
        env.put("FOLEY_PROVIDER", "wavespeed");
        env.put("WAVESPEED_BASE_URL", provider.baseUrl());
        env.put("WAVESPEED_API_KEY", "bench");
        env.put("WAVESPEED_WEBHOOK_SECRET", SECRET);
        env.put("FOLEY_OUTPUTS_BUCKET", "bench-outputs");
        env.putAll(extra);
        Settings s = Settings.fromEnv(env);
        var clients = LocalFoley.clients(s);
        DynamoDbClient dynamo = clients.dynamo();
        LocalFoley.prepare(s, dev.foley.local.FoleyCli.home().resolve("template.yaml"));
        List<AutoCloseable> owned = new ArrayList<>();
        ExecutorService completions = Executors.newVirtualThreadPerTaskExecutor();
        Foley foley = LocalFoley.wire(s, LocalFoley.providers(env, dev.foley.local.FoleyCli.home().resolve(".foley"), owned),
                java.util.Optional.of(pipeline -> id -> completions.submit(() -> pipeline.runToRest(id))),
                mediaDir.map(d -> (Foley.Handoff) pipeline -> id -> mediaThreads.submit(() -> pipeline.runMedia(id))),
                mediaDir.map(LocalFoley::media));
        String keyId = foley.keys().create("bench", KEY).key().keyId();
        return new Stack(s, dynamo, foley, provider, new ApiHandler(foley.api()), completions, keyId);
    }

    /** Something to run against a moto endpoint. */
    public interface WithEndpoint {
        void run(URI endpoint) throws Exception;
    }

    /** Runs {@code body} against the given endpoint, or a moto started for it. */
    public static void withMoto(Path data, URI endpointOrNull, PrintStream out, WithEndpoint body) throws Exception {
        try (LocalAws aws = LocalAws.open(java.util.Optional.ofNullable(endpointOrNull), data, 0, data.resolve("moto-bench.log"), out)) {
            body.run(aws.endpoint());
        }
    }

    public static void run(Path data, URI endpointOrNull, PrintStream out) throws Exception {
        withMoto(data, endpointOrNull, out, endpoint -> {
            idle(endpoint, out);
            twoThousandDue(endpoint, out);
            latency(endpoint, out, true);
            latency(endpoint, out, false);
            CopyBench.spawn(endpoint, out);
        });
    }

    // ---- idle ----

    static void idle(URI endpoint, PrintStream out) throws Exception {
        try (Stack st = stack(endpoint, "idle")) {
            Poller poller = st.foley().poller(32, Duration.ofSeconds(60));
            poller.runFor(Duration.ofSeconds(50), Duration.ofSeconds(5), Deadline.in(Clock.systemUTC(), Duration.ofSeconds(60))); // warm up
            long[] runs = new long[20];
            for (int i = 0; i < runs.length; i++) {
                long t0 = System.nanoTime();
                int steps = poller.runFor(Duration.ofSeconds(50), Duration.ofSeconds(5),
                        Deadline.in(Clock.systemUTC(), Duration.ofSeconds(60)));
                runs[i] = System.nanoTime() - t0;
                if (steps != 0) {
                    throw new IllegalStateException("idle run did work");
                }
            }
            out.println();
            out.printf("idle scheduled run (nothing due: per shard, one query and one next-due read; %d shards), 20 runs: p50 %.1f ms, max %.1f ms%n",
                    st.settings().dueShards(), ApiBench.pct(runs, 50) / 1e6, ApiBench.pct(runs, 100) / 1e6);
        }
    }

    // ---- 2,000 due ----

    static void twoThousandDue(URI endpoint, PrintStream out) throws Exception {
        int n = 2000;
        try (Stack st = stack(endpoint, "due")) {
            PredictionStore store = st.foley().predictions();
            out.println();
            out.println("creating " + n + " submitted predictions due now ...");
            List<Prediction> made = parallel(n, i -> {
                // checks = 4: a still-running job is next checked 15 s later, so the run sees each once
                Prediction p = submitted(IdGenerator.random().next(), "bench", null, "job" + i, 4, Instant.now());
                store.create(p, null);
                return p;
            });
            Poller poller = st.foley().poller(32, Duration.ofSeconds(60));
            // A scheduled run (as Lambda's), timed until every prediction has had its status check:
            // each is due again 15 s later, so the run itself would go on for its whole budget.
            int before = st.provider().checks();
            long t0 = System.nanoTime();
            Thread run = Thread.ofPlatform().start(() -> {
                try {
                    poller.runFor(Duration.ofSeconds(60), Duration.ofSeconds(5), Deadline.in(Clock.systemUTC(), Duration.ofSeconds(90)));
                } catch (InterruptedException | RuntimeException stopped) {
                    // stopped by the bench once every prediction was checked
                }
            });
            while (st.provider().checks() - before < n && System.nanoTime() - t0 < 120_000_000_000L) {
                Thread.sleep(5);
            }
            long pollerNs = System.nanoTime() - t0;
            int processed = st.provider().checks() - before;
            run.interrupt();
            run.join();

            // moto alone, the same DynamoDB operations with the same concurrency: the shard queries,
            // then per prediction the same conditional UpdateItem a status check makes (phase and
            // version condition; due, checks, version, timestamp set; ALL_NEW returned).
            long r0 = System.nanoTime();
            int found = 0;
            for (int shard = 0; shard < store.dueShards(); shard++) {
                found += store.due(shard, Instant.now().plusSeconds(3600), 5000).size();
            }
            AtomicInteger ok = new AtomicInteger();
            parallel(made.size(), i -> {
                Prediction p = made.get(i);
                long v = p.version();
                st.dynamo().updateItem(u -> u.tableName(st.settings().table())
                        .key(Map.of("PK", AttributeValue.fromS("P#" + p.id()), "SK", AttributeValue.fromS("P")))
                        .updateExpression("SET #phase = :to, #version = :next, #updated = :now, not_found_checks = :z, due_shard = :s, due_at = :d ADD #a0 :one")
                        .conditionExpression("#phase = :from AND #version >= :v")
                        .expressionAttributeNames(Map.of("#phase", "phase", "#version", "version", "#updated", "updated_at",
                                "#a0", "checks"))
                        .expressionAttributeValues(Map.of(":to", AttributeValue.fromS("submitted"),
                                ":from", AttributeValue.fromS("submitted"), ":v", AttributeValue.fromN(Long.toString(v)),
                                ":next", AttributeValue.fromN(Long.toString(v + 1)), ":now", AttributeValue.fromN("1"),
                                ":one", AttributeValue.fromN("1"), ":z", AttributeValue.fromN("0"), ":s", AttributeValue.fromS("0"),
                                ":d", AttributeValue.fromN(Long.toString(Instant.now().plusSeconds(60).toEpochMilli()))))
                        .returnValues(software.amazon.awssdk.services.dynamodb.model.ReturnValue.ALL_NEW));
                return ok.incrementAndGet();
            });
            long rawNs = System.nanoTime() - r0;
            out.printf("one poller run over %d due predictions (concurrency 32): %.2f s%n", processed, pollerNs / 1e9);
            out.printf("moto alone for the same operations (%d items read, %d conditional updates): %.2f s; ratio %.2f%n",
                    found, ok.get(), rawNs / 1e9, pollerNs / (double) rawNs);
        }
    }

    // ---- provider completion → completed + webhook ----

    static void latency(URI endpoint, PrintStream out, boolean push) throws Exception {
        int n = push ? 40 : 20;
        try (Stack st = stack(endpoint, push ? "push" : "poll"); Receiver receiver = new Receiver()) {
            PredictionStore store = st.foley().predictions();
            Poller poller = st.foley().poller(32, Duration.ofSeconds(60));
            Thread loop = push ? null : inBackground(poller, Duration.ofMillis(50));
            List<Prediction> ps = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String id = IdGenerator.random().next();
                // submitted, first check already made (checks = 1): the next check is 2 s after each one
                Prediction p = submitted(id, st.keyId(), receiver.url(), "job-" + id, 1,
                        Instant.now().plusMillis(push ? 600_000 : ThreadLocalRandom.current().nextInt(2000)));
                store.create(p, null);
                ps.add(p);
            }
            Map<String, Long> doneAt = new ConcurrentHashMap<>();
            for (Prediction p : ps) {
                if (!push) {
                    Thread.sleep(ThreadLocalRandom.current().nextInt(150));
                }
                String job = "job-" + p.id();
                doneAt.put(p.id(), System.nanoTime());
                st.provider().markDone(job);
                if (push) {
                    byte[] body = Json.write(Json.object().put("id", job).put("status", "completed")
                            .set("outputs", Json.MAPPER.createArrayNode().add(st.provider().baseUrl() + "/files/" + job + ".mp4")))
                            .getBytes(StandardCharsets.UTF_8);
                    long ts = Instant.now().getEpochSecond();
                    var headers = Map.of("webhook-id", "m-" + job, "webhook-timestamp", Long.toString(ts),
                            "webhook-signature", WebhookSignatures.wavespeedSign(SECRET, "m-" + job, ts, body));
                    var r = st.api().handleRequest(ApiEvents.of("POST", "/internal/callbacks/wavespeed/" + p.id(), "", headers,
                            new String(body, StandardCharsets.UTF_8), false), null);
                    if (r.getStatusCode() != 200) {
                        throw new IllegalStateException("callback refused: " + r.getBody());
                    }
                    receiver.await(p.id(), Duration.ofSeconds(20));
                }
            }
            for (Prediction p : ps) {
                receiver.await(p.id(), Duration.ofSeconds(30));
            }
            if (loop != null) {
                loop.interrupt();
            }
            long[] lat = new long[ps.size()];
            for (int i = 0; i < ps.size(); i++) {
                lat[i] = receiver.arrived(ps.get(i).id()) - doneAt.get(ps.get(i).id());
            }
            out.println();
            out.printf("provider done -> completed + webhook received, %s, %d predictions: p50 %.0f ms, p90 %.0f ms, max %.0f ms%n",
                    push ? "push callback" : "polling only (checks every 2 s at that point)", lat.length,
                    ApiBench.pct(lat, 50) / 1e6, ApiBench.pct(lat, 90) / 1e6, ApiBench.pct(lat, 100) / 1e6);
            long completed = ps.stream().filter(p -> store.get(p.id()).orElseThrow().phase() == Phase.COMPLETED).count();
            out.printf("  (%d of %d completed, copies in S3, webhooks signed and received)%n", completed, ps.size());
        }
    }

    /** Runs {@code poller} on a thread of its own, as local mode does, until the thread is interrupted. */
    static Thread inBackground(Poller poller, Duration maxSleep) {
        return Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    poller.runFor(Duration.ofSeconds(60), maxSleep, Deadline.in(Clock.systemUTC(), Duration.ofSeconds(90)));
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    if (Thread.currentThread().isInterrupted()) {
                        return; // stopped mid-call by the bench itself
                    }
                    throw e;
                }
            }
        });
    }

    /** A prediction already submitted to the stand-in as {@code job}, due at {@code due}. */
    static Prediction submitted(String id, String keyId, String webhook, String job, int checks, Instant due) {
        ProviderJob j = ProviderJob.of("wavespeed", job);
        return Prediction.builder(id, keyId, request(), Instant.now()).webhook(webhook).phase(Phase.SUBMITTED)
                .jobs(new dev.foley.prediction.Jobs(j, java.util.Set.of(j), java.util.Set.of(), 0)).checks(checks).dueAt(due).build();
    }

    static PredictionRequest request() {
        return new PredictionRequest(Kind.VIDEO, "https://cdn.example.com/a.mp4", "bench", "", 25, 4, 4.5, false, null, false);
    }

    interface Indexed<T> {
        T make(int i) throws Exception;
    }

    static <T> List<T> parallel(int n, Indexed<T> f) throws Exception {
        List<T> out = new ArrayList<>(java.util.Collections.nCopies(n, null));
        Semaphore permits = new Semaphore(32);
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                fs.add(ex.submit(() -> {
                    permits.acquireUninterruptibly();
                    try {
                        out.set(k, f.make(k));
                    } finally {
                        permits.release();
                    }
                    return null;
                }));
            }
            for (var fu : fs) {
                fu.get();
            }
        }
        return out;
    }

    static int freePort() throws Exception {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** A webhook endpoint noting when each prediction's webhook arrived. */
    static final class Receiver implements AutoCloseable {
        private final HttpServer server;
        private final Map<String, Long> arrivals = new ConcurrentHashMap<>();

        Receiver() throws Exception {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/", ex -> {
                try (ex) {
                    long now = System.nanoTime();
                    String id = Json.parse(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)).get("id").asText();
                    arrivals.putIfAbsent(id, now);
                    ex.sendResponseHeaders(200, -1);
                }
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
        }

        void await(String id, Duration max) throws InterruptedException {
            long end = System.nanoTime() + max.toNanos();
            while (!arrivals.containsKey(id) && System.nanoTime() < end) {
                Thread.sleep(2);
            }
            if (!arrivals.containsKey(id)) {
                throw new IllegalStateException("no webhook for " + id);
            }
        }

        long arrived(String id) {
            return arrivals.get(id);
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
