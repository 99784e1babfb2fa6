package dev.foley.provider.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.foley.json.Json;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A provider API on 127.0.0.1 for tests: it answers in the provider's documented shapes, keeps
 * jobs that progress as scripted, records every request, and misbehaves on demand (any status with
 * any body and headers, replies slower than the client's timeout, dropped connections, non-JSON
 * and truncated bodies).
 */
public abstract class ProviderEmulator implements AutoCloseable {

    /** Which kind of call a request is, so faults can target it. */
    public enum Op { SUBMIT, STATUS, RESULT, CANCEL, SECRET, UPLOAD, OTHER }

    /** A request as received. */
    public record Recorded(Op op, String method, String path, String query, Map<String, String> headers, byte[] body, long atNanos) {
        public Recorded(Op op, String method, String path, String query, Map<String, String> headers, byte[] body) {
            this(op, method, path, query, headers, body, System.nanoTime());
        }

        public JsonNode json() {
            return Json.parse(new String(body, StandardCharsets.UTF_8));
        }

        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** A scripted misbehaviour for the next request of an {@link Op}. */
    public sealed interface Fault {
        record Answer(int status, String body, Map<String, String> headers) implements Fault {
        }

        /** Answers normally, but only after this long. */
        record Slow(Duration delay) implements Fault {
        }

        /** Closes the connection without an answer (after reading the request). */
        record Drop() implements Fault {
        }

        /** Answers normally once {@code release} is counted down (a call that hangs until the test lets it go). */
        record Hold(java.util.concurrent.CountDownLatch release) implements Fault {
        }

        /** A 200 whose body is cut short of its announced length. */
        record Truncated() implements Fault {
        }

        static Answer status(int code, String body) {
            return new Answer(code, body, Map.of("content-type", "application/json"));
        }
    }

    /**
     * How a job ends: after {@code runningChecks} checks (or, when {@code runsFor} is set, after that
     * long on the wall clock, as a real job does) it is done, failed, or never.
     */
    public record Script(int runningChecks, String failure, boolean never, Duration runsFor) {
        public static Script doneAfter(int checks) {
            return new Script(checks, null, false, null);
        }

        /** Done {@code d} after it was created, however often it is checked. */
        public static Script doneAfter(Duration d) {
            return new Script(0, null, false, d);
        }

        public static Script failsWith(String reason) {
            return new Script(0, reason, false, null);
        }

        public static Script neverFinishes() {
            return new Script(0, null, true, null);
        }
    }

    /** A job the emulator runs. */
    public static final class Job {
        public final String id;
        public final JsonNode input;
        public final String kind;
        public final Script script;
        public final AtomicInteger checks = new AtomicInteger();
        public volatile boolean cancelled;
        public final long createdNanos = System.nanoTime();

        Job(String id, JsonNode input, String kind, Script script) {
            this.id = id;
            this.input = input;
            this.kind = kind;
            this.script = script;
        }

        /** Whether a time-run job has run its course. */
        public boolean ranItsCourse() {
            return script.runsFor() != null && System.nanoTime() - createdNanos >= script.runsFor().toNanos();
        }

        /** "running", "done", "failed" or "cancelled", advancing the script by one check. */
        public String advance() {
            if (cancelled) {
                return "cancelled";
            }
            if (script.never()) {
                return "running";
            }
            if (script.failure() != null) {
                return "failed";
            }
            if (script.runsFor() != null) {
                checks.incrementAndGet();
                return ranItsCourse() ? "done" : "running";
            }
            return checks.getAndIncrement() < script.runningChecks() ? "running" : "done";
        }
    }

    private final HttpServer server;
    private final Map<Op, Deque<Fault>> faults = new EnumMap<>(Op.class);
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();
    protected final Map<String, Job> jobs = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final AtomicInteger created = new AtomicInteger();
    private volatile Script nextScript = Script.doneAfter(1);
    private final Map<Op, java.util.function.Supplier<Duration>> latency = new java.util.concurrent.ConcurrentHashMap<>();
    protected final java.util.concurrent.ScheduledExecutorService pushes =
            Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "emulator-pushes");
                t.setDaemon(true);
                return t;
            });
    protected final String key;

    protected ProviderEmulator(String key) throws IOException {
        this.key = key;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::serve);
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public java.net.URI base() {
        return java.net.URI.create(baseUrl());
    }

    /** The script for jobs submitted from now on. */
    public ProviderEmulator script(Script s) {
        nextScript = s;
        return this;
    }

    /**
     * Every request of {@code op} is answered only after this long, as a real service that is slow
     * to answer: the work (a job, for a submit) is done on arrival, the answer comes late.
     */
    public ProviderEmulator latency(Op op, java.util.function.Supplier<Duration> delay) {
        latency.put(op, delay);
        return this;
    }

    /** Jobs made since start (forgotten ones included). */
    public int jobsCreated() {
        return created.get();
    }

    /** The provider forgets a job (as after its retention, or a reset): status and result calls get 404. */
    public void forget(String jobId) {
        jobs.remove(jobId);
    }

    /** Queues faults for the next requests of {@code op}, in order. */
    public synchronized ProviderEmulator failNext(Op op, Fault... f) {
        Deque<Fault> q = faults.computeIfAbsent(op, k -> new ArrayDeque<>());
        q.addAll(List.of(f));
        return this;
    }

    public List<Recorded> requests() {
        return List.copyOf(requests);
    }

    public List<Recorded> requests(Op op) {
        return requests.stream().filter(r -> r.op() == op).toList();
    }

    /** Job ids in the order they were made. */
    public List<String> jobs() {
        return jobs.keySet().stream().sorted(java.util.Comparator.comparingInt(
                (String k) -> Integer.parseInt(k.substring(3, k.indexOf('x'))))).toList();
    }

    public Job job(String id) {
        return jobs.get(id);
    }

    public String outputUrl(String id, String ext) {
        return baseUrl() + "/files/" + id + "." + ext;
    }

    protected String newJob(JsonNode input, String kind) {
        String id = "job" + ids.incrementAndGet() + "x" + Long.toHexString(System.nanoTime() & 0xffffff);
        Script once = oneShot.poll();
        jobs.put(id, new Job(id, input, kind, once != null ? once : nextScript));
        created.incrementAndGet();
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        return id;
    }

    private final java.util.concurrent.ConcurrentLinkedQueue<Script> oneShot = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final java.util.Set<String> reported = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile java.util.function.Function<String, byte[]> files = ProviderEmulator::fileBytes;

    /** The next job created runs {@code s} (then the script set by {@link #script} again). */
    public ProviderEmulator scriptNext(Script s) {
        oneShot.add(s);
        return this;
    }

    /** What the output files hold (default: {@link #fileBytes}, random bytes). */
    public ProviderEmulator filesFrom(java.util.function.Function<String, byte[]> contents) {
        files = contents;
        return this;
    }

    /**
     * The most jobs at once that were created and not yet reported finished (done, failed,
     * cancelled) to a status check or a cancel: how many the client kept at work at a time.
     */
    public int maxInFlight() {
        return maxInFlight.get();
    }

    /** A job's end, as a status check or a cancel answered it: from then on it no longer counts as in flight. */
    protected void reportedEnd(String jobId) {
        if (reported.add(jobId)) {
            inFlight.decrementAndGet();
        }
    }

    /** Which op a request is (for faults and recording). */
    protected abstract Op classify(String method, String path);

    /** The provider's normal answer. */
    protected abstract Fault.Answer answer(Op op, String method, String path, Map<String, String> query, byte[] body,
            Map<String, String> headers);

    private synchronized Fault nextFault(Op op) {
        if (outage != null && outageOps.contains(op)) {
            return outage;
        }
        Deque<Fault> q = faults.get(op);
        return q == null ? null : q.poll();
    }

    private void serve(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            String method = ex.getRequestMethod();
            String path = ex.getRequestURI().getPath();
            String rawQuery = ex.getRequestURI().getRawQuery();
            Map<String, String> headers = new TreeMap<>();
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
            if (method.equals("GET") && path.startsWith("/files/")) {
                serveFile(ex, path.substring("/files/".length()));
                return;
            }
            if (method.equals("GET") && path.startsWith("/uploaded/")) {
                Uploaded u = uploads.get(path.split("/")[2]);
                if (u == null || u.bytes() == null) {
                    ex.sendResponseHeaders(404, -1);
                    return;
                }
                ex.getResponseHeaders().set("content-type", u.type());
                ex.sendResponseHeaders(200, u.bytes().length);
                ex.getResponseBody().write(u.bytes());
                return;
            }
            if (method.equals("PUT") && path.startsWith("/put/")) {
                requests.add(new Recorded(Op.UPLOAD, method, path, rawQuery, headers, body));
                Fault.Answer a = put(path.substring("/put/".length()), headers.get("content-type"), body);
                ex.sendResponseHeaders(a.status(), a.body() == null ? -1 : a.body().length());
                if (a.body() != null) {
                    ex.getResponseBody().write(a.body().getBytes(StandardCharsets.UTF_8));
                }
                return;
            }
            Op op = classify(method, path);
            requests.add(new Recorded(op, method, path, rawQuery, headers, body));
            Fault f = nextFault(op);
            if (f instanceof Fault.Drop) {
                return; // closing the exchange without a response drops the connection
            }
            if (f instanceof Fault.Slow slow) {
                sleep(slow.delay());
            }
            if (f instanceof Fault.Hold hold) {
                try {
                    hold.release().await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Fault.Answer a = f instanceof Fault.Answer given ? given
                    : answer(op, method, path, query(ex.getRequestURI().getQuery()), body, headers);
            var slowAnswer = latency.get(op);
            if (slowAnswer != null) {
                sleep(slowAnswer.get()); // done already (a submit's job exists): only the answer is late
            }
            byte[] out = a.body() == null ? new byte[0] : a.body().getBytes(StandardCharsets.UTF_8);
            a.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
            if (f instanceof Fault.Truncated) {
                ex.sendResponseHeaders(a.status(), out.length + 100);
                ex.getResponseBody().write(out, 0, Math.max(1, out.length / 2));
                ex.getResponseBody().flush();
                return;
            }
            ex.sendResponseHeaders(a.status(), out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                ex.getResponseBody().write(out);
            }
        } catch (IOException | RuntimeException e) {
            // the client went away (our own timeout tests do that)
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(Math.max(0, d.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The bytes an output file holds: deterministic per name, so copies can be compared. */
    public static byte[] fileBytes(String name) {
        java.util.Random r = new java.util.Random(name.hashCode());
        byte[] b = new byte[150_000 + Math.floorMod(name.hashCode(), 50_000)];
        r.nextBytes(b);
        return b;
    }

    private final AtomicInteger fileFailures = new AtomicInteger();

    private final AtomicInteger fileStalls = new AtomicInteger();
    private final AtomicInteger fileGets = new AtomicInteger();

    private volatile Duration filesMissingFor = Duration.ZERO;
    private final Map<String, Long> firstFileAsk = new ConcurrentHashMap<>();
    private final List<Long> fileGetNanos = new CopyOnWriteArrayList<>();
    private volatile Fault.Answer outage;
    private final java.util.Set<Op> outageOps = java.util.EnumSet.noneOf(Op.class);

    /**
     * Each output file answers 404 for {@code d} after it was first asked for, as a CDN a few
     * seconds behind the job's end does.
     */
    public ProviderEmulator filesMissingFor(Duration d) {
        filesMissingFor = d;
        return this;
    }

    /** When each output download arrived ({@link System#nanoTime}), in order. */
    public List<Long> fileGetTimes() {
        return List.copyOf(fileGetNanos);
    }

    /** Every request of {@code ops} is answered {@code a} until {@link #endOutage} (a provider that is down). */
    public synchronized ProviderEmulator outage(Fault.Answer a, Op... ops) {
        outageOps.clear();
        outageOps.addAll(List.of(ops));
        outage = a;
        return this;
    }

    public synchronized ProviderEmulator endOutage() {
        outage = null;
        return this;
    }

    /** The next {@code n} output downloads answer 404. */
    public void failFiles(int n) {
        fileFailures.set(n);
    }

    /** The next {@code n} output downloads send half the file, then nothing more for a minute. */
    public void stallFiles(int n) {
        fileStalls.set(n);
    }

    /** Output downloads asked for so far. */
    public int fileRequests() {
        return fileGets.get();
    }

    private void serveFile(HttpExchange ex, String name) throws IOException {
        fileGets.incrementAndGet();
        long now = System.nanoTime();
        fileGetNanos.add(now);
        long first = firstFileAsk.computeIfAbsent(name, k -> now);
        if (now - first < filesMissingFor.toNanos()) {
            ex.sendResponseHeaders(404, -1);
            return;
        }
        if (fileFailures.getAndUpdate(v -> Math.max(0, v - 1)) > 0) {
            ex.sendResponseHeaders(404, -1);
            return;
        }
        byte[] b = files.apply(name);
        ex.getResponseHeaders().set("content-type", name.endsWith(".mp4") ? "video/mp4" : "audio/flac");
        ex.sendResponseHeaders(200, b.length);
        if (fileStalls.getAndUpdate(v -> Math.max(0, v - 1)) > 0) {
            ex.getResponseBody().write(b, 0, b.length / 2);
            ex.getResponseBody().flush();
            sleep(Duration.ofMinutes(1));
            return;
        }
        ex.getResponseBody().write(b);
    }

    private static Map<String, String> query(String q) {
        Map<String, String> m = new TreeMap<>();
        if (q != null) {
            for (String p : q.split("&")) {
                int eq = p.indexOf('=');
                if (eq > 0) {
                    m.put(p.substring(0, eq), p.substring(eq + 1));
                }
            }
        }
        return m;
    }

    // ---- uploads: the provider's own storage, and its refusal to fetch what it cannot reach ----

    /** A file put in the emulated storage: {@code bytes} null until its PUT arrives. */
    public record Uploaded(String token, String name, String type, long expectedSize, boolean typeChecked, byte[] bytes) {
    }

    private final Map<String, Uploaded> uploads = new ConcurrentHashMap<>();
    private final AtomicInteger uploadIds = new AtomicInteger();
    private volatile boolean refuseUnreachable;

    /**
     * As a provider on the internet: a submit whose input URL is at a loopback or private address
     * (and is not one of this emulator's own uploads) is refused, as the provider could not fetch it.
     */
    public ProviderEmulator refuseUnreachable(boolean v) {
        refuseUnreachable = v;
        return this;
    }

    /** Files uploaded so far (PUT done, or posted whole). */
    public List<Uploaded> uploaded() {
        return uploads.values().stream().filter(u -> u.bytes() != null).toList();
    }

    /** A slot a PUT fills: {@code [put URL, download URL]}. */
    protected String[] uploadSlot(String name, String type, long expectedSize, boolean typeChecked) {
        String token = "up" + uploadIds.incrementAndGet();
        uploads.put(token, new Uploaded(token, name, type, expectedSize, typeChecked, null));
        return new String[] {baseUrl() + "/put/" + token, downloadUrl(token, name)};
    }

    /** A file posted whole (multipart): its download URL. */
    protected String storeUpload(String name, String type, byte[] bytes) {
        String token = "up" + uploadIds.incrementAndGet();
        uploads.put(token, new Uploaded(token, name, type, bytes.length, false, bytes));
        return downloadUrl(token, name);
    }

    private String downloadUrl(String token, String name) {
        return baseUrl() + "/uploaded/" + token + "/" + java.net.URLEncoder.encode(name, StandardCharsets.UTF_8);
    }

    private Fault.Answer put(String token, String contentType, byte[] body) {
        Uploaded slot = uploads.get(token);
        if (slot == null || slot.bytes() != null) {
            return Fault.status(403, "<Error><Code>AccessDenied</Code><Message>no such upload</Message></Error>");
        }
        if (slot.expectedSize() >= 0 && body.length != slot.expectedSize()) {
            return Fault.status(400, "<Error><Code>BadDigest</Code><Message>size " + body.length + " is not the announced "
                    + slot.expectedSize() + "</Message></Error>");
        }
        if (slot.typeChecked() && !slot.type().equals(contentType)) {
            return Fault.status(403, "<Error><Code>SignatureDoesNotMatch</Code><Message>content-type " + contentType
                    + " is not the signed " + slot.type() + "</Message></Error>");
        }
        uploads.put(token, new Uploaded(token, slot.name(), slot.type(), slot.expectedSize(), slot.typeChecked(), body));
        return new Fault.Answer(200, null, Map.of());
    }

    /** Whether a provider on the internet could not fetch {@code url} (only when {@link #refuseUnreachable} is on). */
    protected boolean unreachable(String url) {
        if (!refuseUnreachable || url == null || url.startsWith(baseUrl() + "/uploaded/")) {
            return false;
        }
        try {
            for (java.net.InetAddress a : java.net.InetAddress.getAllByName(java.net.URI.create(url).getHost())) {
                if (a.isLoopbackAddress() || a.isSiteLocalAddress() || a.isLinkLocalAddress() || a.isAnyLocalAddress()) {
                    return true;
                }
            }
            return false;
        } catch (Exception e) {
            return true;
        }
    }

    /** The multipart parts of an upload, or null when the body is not one. */
    protected static List<dev.foley.api.Multipart.Part> parts(Map<String, String> headers, byte[] body) {
        try {
            String type = headers.get("content-type");
            return type == null ? null : dev.foley.api.Multipart.parse(type, body);
        } catch (dev.foley.api.Multipart.MalformedException e) {
            return null;
        }
    }

    protected boolean authorized(Map<String, String> headers, String scheme) {
        return (scheme + " " + key).equals(headers.get("authorization"));
    }

    @Override
    public void close() {
        pushes.shutdownNow();
        server.stop(0);
    }
}
