package dev.foley.local.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * For benchmarks only: a WaveSpeed-shaped provider on 127.0.0.1 that answers at once, so the
 * pipeline's own time is what gets measured. Jobs run until {@link #markDone} (or, with
 * {@link #behave}, for a set time, as a real service's do); outputs are generated on the fly (any
 * size, never held in memory).
 */
final class ProviderStandIn implements AutoCloseable {

    private final HttpServer server;
    private final Set<String> done = ConcurrentHashMap.newKeySet();
    private volatile long fileSize = 64 * 1024;
    private volatile java.time.Duration latency = java.time.Duration.ZERO;
    private volatile java.time.Duration runsFor;
    private volatile String pushSecret;
    private final java.util.concurrent.atomic.AtomicInteger submits = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.ScheduledExecutorService timers = java.util.concurrent.Executors.newScheduledThreadPool(1,
            r -> {
                Thread t = new Thread(r, "stand-in-jobs");
                t.setDaemon(true);
                return t;
            });
    private final java.net.http.HttpClient pushClient = java.net.http.HttpClient.newHttpClient();

    /**
     * Like a real service: every submit is answered {@code latency} late (its job exists from the
     * request's arrival), jobs finish {@code runsFor} after that, and a submit with {@code ?webhook=}
     * gets its result pushed, signed with {@code secret} (null: no pushes).
     */
    void behave(java.time.Duration latency, java.time.Duration runsFor, String secret) {
        this.latency = latency;
        this.runsFor = runsFor;
        this.pushSecret = secret;
    }

    private final java.util.concurrent.atomic.AtomicInteger checks = new java.util.concurrent.atomic.AtomicInteger();

    /** Status checks answered so far. */
    int checks() {
        return checks.get();
    }

    /** Jobs made so far (one per submit that reached the stand-in). */
    int submits() {
        return submits.get();
    }

    ProviderStandIn() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 512);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", ex -> {
            try (ex) {
                ex.getRequestBody().readAllBytes();
                String path = ex.getRequestURI().getPath();
                if (path.startsWith("/files/")) {
                    fileGets.incrementAndGet();
                    String job = path.substring("/files/".length()).replace(".mp4", "");
                    java.time.Instant ended = doneAt.get(job);
                    if (ended != null && java.time.Instant.now().isBefore(ended.plus(filesMissingFor))) {
                        ex.sendResponseHeaders(404, -1); // a CDN a few seconds behind the job's end
                        return;
                    }
                    serveFile(ex.getResponseBody(), ex);
                    return;
                }
                if (ex.getRequestMethod().equals("DELETE")) {
                    String job = path.split("/")[4];
                    cancels.computeIfAbsent(job, k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(java.time.Instant.now());
                    boolean down = outage;
                    byte[] answer = (down ? "{\"code\":503,\"message\":\"service unavailable\",\"data\":null}"
                            : "{\"code\":200,\"message\":\"success\",\"data\":{\"id\":\"" + job + "\",\"status\":\"deleted\"}}")
                            .getBytes(StandardCharsets.UTF_8);
                    ex.getResponseHeaders().set("content-type", "application/json");
                    ex.sendResponseHeaders(down ? 503 : 200, answer.length);
                    ex.getResponseBody().write(answer);
                    return;
                }
                String id;
                String status;
                if (ex.getRequestMethod().equals("POST")) {
                    id = UUID.randomUUID().toString().replace("-", "");
                    status = "created";
                    submits.incrementAndGet();
                    java.time.Duration run = runsFor;
                    if (run != null) {
                        String jobId = id;
                        String query = ex.getRequestURI().getRawQuery();
                        timers.schedule(() -> finish(jobId, query), run.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                    }
                } else {
                    checks.incrementAndGet();
                    id = path.split("/")[4];
                    status = done.contains(id) ? "completed" : "processing";
                }
                String outputs = status.equals("completed") ? "\"" + baseUrl() + "/files/" + id + ".mp4\"" : "";
                byte[] body = ("{\"code\":200,\"message\":\"success\",\"data\":{\"id\":\"" + id + "\",\"status\":\"" + status
                        + "\",\"outputs\":[" + outputs + "],\"has_nsfw_contents\":[false],\"timings\":{\"inference\":1000}}}")
                        .getBytes(StandardCharsets.UTF_8);
                if (ex.getRequestMethod().equals("POST") && !latency.isZero()) {
                    try {
                        Thread.sleep(latency.toMillis()); // the job exists already: only the answer is late
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                ex.getResponseHeaders().set("content-type", "application/json");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
        });
        server.start();
    }

    void markDone(String jobId) {
        doneAt.putIfAbsent(jobId, java.time.Instant.now());
        done.add(jobId);
    }

    private final java.util.Map<String, java.time.Instant> doneAt = new ConcurrentHashMap<>();
    private final java.util.Map<String, java.util.List<java.time.Instant>> cancels = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger fileGets = new java.util.concurrent.atomic.AtomicInteger();
    private volatile java.time.Duration filesMissingFor = java.time.Duration.ZERO;
    private volatile boolean outage;

    /** When job {@code jobId} ended here (null while it runs). */
    java.time.Instant doneAt(String jobId) {
        return doneAt.get(jobId);
    }

    /** Each output answers 404 for {@code d} after its job ended (a CDN catching up). */
    void filesMissingFor(java.time.Duration d) {
        filesMissingFor = d;
    }

    /** Output downloads asked for so far. */
    int fileGets() {
        return fileGets.get();
    }

    /** Cancels (DELETEs) answer 503 while this is on: the provider is down. */
    void outage(boolean on) {
        outage = on;
    }

    /** When each job's cancels arrived. */
    java.util.Map<String, java.util.List<java.time.Instant>> cancels() {
        return cancels;
    }

    private void finish(String jobId, String query) {
        markDone(jobId);
        // Each job's push on its own thread, as a provider's jobs end independently: one slow
        // answer to a callback must not hold back the end of the next job.
        Thread.ofVirtual().start(() -> push(jobId, query));
    }

    private void push(String jobId, String query) {
        String secret = pushSecret;
        if (secret == null || query == null || !query.startsWith("webhook=")) {
            return;
        }
        String url = java.net.URLDecoder.decode(query.substring("webhook=".length()), StandardCharsets.UTF_8);
        byte[] body = ("{\"id\":\"" + jobId + "\",\"status\":\"completed\",\"outputs\":[\"" + baseUrl() + "/files/" + jobId
                + ".mp4\"],\"has_nsfw_contents\":[false],\"timings\":{\"inference\":1000}}").getBytes(StandardCharsets.UTF_8);
        long ts = java.time.Instant.now().getEpochSecond();
        String msg = "m-" + jobId;
        try {
            pushClient.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                    .header("content-type", "application/json").header("webhook-id", msg)
                    .header("webhook-timestamp", Long.toString(ts))
                    .header("webhook-signature", dev.foley.provider.WebhookSignatures.wavespeedSign(secret, msg, ts, body))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding());
        } catch (IOException | InterruptedException e) {
            // nobody listening: the poller finds the job done anyway
        }
    }

    void fileSize(long bytes) {
        fileSize = bytes;
    }

    private volatile byte[] contents;

    /** Every output is these bytes (a real media file, for the media function to read). */
    void fileContents(byte[] bytes) {
        contents = bytes;
    }

    private void serveFile(OutputStream out, com.sun.net.httpserver.HttpExchange ex) throws IOException {
        byte[] fixed = contents;
        if (fixed != null) {
            ex.getResponseHeaders().set("content-type", "video/mp4");
            ex.sendResponseHeaders(200, fixed.length);
            out.write(fixed);
            return;
        }
        long size = fileSize;
        ex.getResponseHeaders().set("content-type", "video/mp4");
        ex.sendResponseHeaders(200, size);
        byte[] chunk = new byte[64 * 1024];
        Random r = new Random(size);
        for (long left = size; left > 0; left -= chunk.length) {
            r.nextBytes(chunk);
            out.write(chunk, 0, (int) Math.min(chunk.length, left));
        }
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        timers.shutdownNow();
        server.stop(0);
    }
}
