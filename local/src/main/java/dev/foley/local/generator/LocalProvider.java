package dev.foley.local.generator;

import dev.foley.media.MotionAnalysis;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.foley.prediction.Kind;
import dev.foley.prediction.PredictionRequest;
import dev.foley.provider.InferenceProvider;
import dev.foley.provider.InvalidCallbackException;
import dev.foley.provider.JobStatus;
import dev.foley.provider.JobUpdate;
import dev.foley.prediction.ProviderJob;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;
import dev.foley.provider.ProviderException;
import dev.foley.time.Deadline;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The offline {@code local} provider: not a model, an honest deterministic sound generator. It
 * fetches the video, measures motion energy per frame, puts a hit at each motion peak over a bed
 * of sound whose character follows the prompt's words, and writes the video with the new AAC
 * track (FLAC for text-to-audio). It runs behind the same interface as the remote providers,
 * through an in-process job queue, and serves its outputs over HTTP on 127.0.0.1 like a remote
 * provider's file host, so the rest of Foley cannot tell it apart.
 *
 * <p>Like a remote provider, it outlives a crash of the process that submitted to it: each job's
 * request is written to its folder before the submit returns, and its outcome when it ends, so
 * a {@code ./foley serve} restarted on the same data folder (after a {@code kill -9}, say) knows
 * every job: a finished one answers as before, an unfinished one runs again from its request
 * (same seed, same result), and the file host binds the port it had, so output URLs already
 * recorded still resolve.
 */
public final class LocalProvider implements InferenceProvider, AutoCloseable {

    public static final String NAME = "local";
    static final long MAX_VIDEO_BYTES = 500L * 1024 * 1024;

    private sealed interface State {
        record Running(Future<?> work) implements State {
        }

        record Finished(JobStatus status) implements State {
        }
    }

    private final Path dir;
    private final ExecutorService workers;
    private final HttpServer files;
    /**
     * The same pinned fetch as the rest of Foley: the host resolved once, every address checked
     * (public only with strict URLs), the socket opened to the checked address, each redirect
     * checked again, errors in general terms (no address, no port state).
     */
    private final dev.foley.net.PinnedHttp fetcher;
    /** Foley's own storage (local mode's S3): read even with strict URLs, as it holds uploads and windows. */
    private final java.util.Optional<String> ownStorage;
    private static final dev.foley.net.PinnedHttp ANY = new dev.foley.net.PinnedHttp(false);
    private final Map<String, State> jobs = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private static final String JOB_FILE = "job.json";
    private static final String STATUS_FILE = "status.json";

    public LocalProvider(Path dir, int concurrency) throws IOException {
        this(dir, concurrency, false, java.util.Optional.empty());
    }

    /** With {@code strict}, videos only from public addresses, or from {@code ownStorage} (an endpoint's {@code host:port}). */
    public LocalProvider(Path dir, int concurrency, boolean strict, java.util.Optional<URI> ownStorage) throws IOException {
        this.fetcher = new dev.foley.net.PinnedHttp(strict);
        this.ownStorage = ownStorage.map(URI::getRawAuthority);
        this.dir = Files.createDirectories(dir);
        this.workers = Executors.newFixedThreadPool(Math.max(1, concurrency), r -> {
            Thread t = new Thread(r, "foley-local-generator");
            t.setDaemon(true);
            return t;
        });
        this.files = bindFileHost(this.dir.resolve("files.port"));
        files.createContext("/outputs/", this::serveFile);
        files.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        files.start();
    }

    /** The file host, on the port it had before if that is free (recorded output URLs keep working), else on a new one. */
    private static HttpServer bindFileHost(Path portFile) throws IOException {
        HttpServer server = null;
        try {
            int before = Integer.parseInt(Files.readString(portFile).strip());
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", before), 32);
        } catch (IOException | IllegalArgumentException none) {
            // first start, or the port is taken now: any port
        }
        if (server == null) {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 32);
        }
        Files.writeString(portFile, Integer.toString(server.getAddress().getPort()));
        return server;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Duration expectedDuration(PredictionRequest request) {
        return Duration.ofMillis(800 + 40L * request.duration());
    }

    @Override
    public ProviderJob submit(PredictionRequest request, Optional<URI> callback, Deadline until) throws ProviderException {
        String id = UUID.randomUUID().toString().replace("-", "");
        try {
            Path jobDir = Files.createDirectories(dir.resolve(id));
            ObjectNode job = Json.object();
            job.put("kind", request.kind().name());
            job.put("model", request.model());
            job.set("request", request.toJson());
            writeAtomically(jobDir.resolve(JOB_FILE), Json.write(job));
        } catch (IOException | RuntimeException e) {
            throw ProviderException.retryable(NAME + ": could not record the job: " + e.getMessage());
        }
        start(id, request);
        return ProviderJob.of(NAME, id);
    }

    private void start(String id, PredictionRequest request) {
        jobs.computeIfAbsent(id, k -> new State.Running(workers.submit(() -> finish(id, run(id, request)))));
    }

    /** The outcome, on disk first (it must outlive the process), then in memory, unless a cancel came first. */
    private void finish(String id, JobStatus status) {
        if (closed || jobs.get(id) instanceof State.Finished) {
            return; // cancelled meanwhile, or cut short by shutting down: then it runs again after the restart
        }
        try {
            ObjectNode n = Json.object();
            switch (status) {
                case JobStatus.Done d -> {
                    String url = d.outputs().get(0);
                    n.put("file", url.substring(url.lastIndexOf('/') + 1));
                    var files = n.putArray("files"); // every output (a model that makes several samples)
                    d.outputs().forEach(u -> files.add(u.substring(u.lastIndexOf('/') + 1)));
                    n.put("inference_ms", d.inferenceMs());
                }
                case JobStatus.Failed f -> n.put("failed", f.reason());
                case JobStatus.Running r -> {
                    return;
                }
            }
            writeAtomically(dir.resolve(id).resolve(STATUS_FILE), Json.write(n));
        } catch (IOException | RuntimeException e) {
            // the outcome stays in memory; after a restart the job runs again
        }
        jobs.put(id, new State.Finished(status));
    }

    private static void writeAtomically(Path to, String text) throws IOException {
        Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * A job this process did not start (it was started before a restart): its recorded outcome, or
     * it runs again from its recorded request; empty when there is no such job.
     */
    private Optional<State> recover(String id) {
        if (!id.matches("[0-9a-f]{32}")) {
            return Optional.empty();
        }
        Path jobDir = dir.resolve(id);
        try {
            if (Files.isRegularFile(jobDir.resolve(STATUS_FILE))) {
                JsonNode n = Json.parse(Files.readString(jobDir.resolve(STATUS_FILE)));
                List<String> urls = new java.util.ArrayList<>();
                n.path("files").forEach(f -> urls.add(baseUrl() + "/outputs/" + id + "/" + f.asText()));
                if (urls.isEmpty()) {
                    urls.add(baseUrl() + "/outputs/" + id + "/" + n.path("file").asText());
                }
                JobStatus status = n.hasNonNull("failed") ? new JobStatus.Failed(n.get("failed").asText())
                        : new JobStatus.Done(urls, n.path("inference_ms").asLong(), urls.stream().map(u -> false).toList());
                jobs.putIfAbsent(id, new State.Finished(status));
                return Optional.of(jobs.get(id));
            }
            if (Files.isRegularFile(jobDir.resolve(JOB_FILE))) {
                JsonNode job = Json.parse(Files.readString(jobDir.resolve(JOB_FILE)));
                start(id, PredictionRequest.fromJson(Kind.valueOf(job.path("kind").asText()),
                        job.path("model").asText(null), job.path("request")));
                return Optional.of(jobs.get(id));
            }
        } catch (IOException | RuntimeException unreadable) {
            // a job folder we cannot read is a job we do not know
        }
        return Optional.empty();
    }

    private Optional<State> state(String id) {
        State s = jobs.get(id);
        return s != null ? Optional.of(s) : recover(id);
    }

    @Override
    public JobStatus check(ProviderJob job, Deadline until) {
        Optional<State> s = state(job.id());
        if (s.isEmpty()) {
            return new JobStatus.Failed("the local generator does not know this job (is --data the folder it was started with?)");
        }
        return s.get() instanceof State.Finished f ? f.status() : new JobStatus.Running(-1);
    }

    @Override
    public CancelOutcome cancel(ProviderJob job, Deadline until) {
        Optional<State> s = state(job.id());
        if (s.isPresent() && s.get() instanceof State.Running r) {
            State cancelled = new State.Finished(new JobStatus.Failed("cancelled"));
            if (jobs.replace(job.id(), r, cancelled)) {
                r.work().cancel(true);
                try {
                    writeAtomically(dir.resolve(job.id()).resolve(STATUS_FILE), "{\"failed\":\"cancelled\"}");
                } catch (IOException e) {
                    // in memory it is cancelled; after a restart it would run again and be ignored
                }
                return CancelOutcome.CANCELLED;
            }
        }
        return s.isEmpty() ? CancelOutcome.NOT_FOUND : CancelOutcome.ALREADY_ENDED;
    }

    @Override
    public JobUpdate verifyCallback(Map<String, String> headers, byte[] body) throws InvalidCallbackException {
        throw new InvalidCallbackException("the local provider does not push; it is polled");
    }

    /** One job: fetch, analyse, render, write. Every failure becomes a reason the client can read. */
    JobStatus run(String id, PredictionRequest r) {
        long t0 = System.nanoTime();
        Path jobDir = dir.resolve(id);
        String attempt = Long.toHexString(System.nanoTime());
        try {
            Files.createDirectories(jobDir);
            long seed = r.seed() != null ? r.seed() : Long.parseLong(id.substring(0, 12), 16);
            // Kling's background music prompt joins its sound effect prompt: the design hears both.
            String prompt = r.extra().hasNonNull("bgm_prompt") ? (r.prompt() + " " + r.extra().get("bgm_prompt").asText()).strip() : r.prompt();
            SoundDesign design = SoundDesign.of(prompt, r.negativePrompt());
            dev.foley.model.Model spec = r.spec();
            MediaWriter.Shape shape = new MediaWriter.Shape(spec.output().sampleRate(), spec.output().channels());
            String file;
            if (!spec.equals(dev.foley.model.Models.MMAUDIO_V2) && !spec.equals(dev.foley.model.Models.MMAUDIO_V2_TEXT) && r.kind() != Kind.TEXT) {
                return runModel(id, r, jobDir, attempt, seed, design, shape, t0);
            }
            if (r.kind() == Kind.TEXT) {
                float[] audio = Synth.render(design, List.of(), r.duration(), r.guidanceScale(), seed);
                file = "audio.flac";
                Path tmp = jobDir.resolve(attempt + "-" + file);
                MediaWriter.writeFlac(audio, tmp);
                Files.move(tmp, jobDir.resolve(file), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } else {
                // Each run its own files (a re-run after a restart may overlap a run cut short), the output moved in whole.
                Path video = fetch(URI.create(r.video()), jobDir.resolve(attempt + "-input"));
                MotionAnalysis motion = MotionAnalysis.of(video, r.duration());
                // As MMAudio does: a video shorter than the duration cuts the audio to its length.
                double seconds = Math.min(r.duration(), motion.seconds());
                List<MotionAnalysis.Onset> onsets = r.maskAwayClip() ? List.of() : motion.onsets();
                float[] audio = Synth.render(design, onsets, seconds, r.guidanceScale(), seed);
                file = "video.mp4";
                Path tmp = jobDir.resolve(attempt + "-" + file);
                MediaWriter.writeVideo(video, audio, seconds, tmp);
                Files.move(tmp, jobDir.resolve(file), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                Files.deleteIfExists(video);
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            return new JobStatus.Done(List.of(baseUrl() + "/outputs/" + id + "/" + file), ms, List.of(false));
        } catch (MotionAnalysis.UnreadableVideoException e) {
            return new JobStatus.Failed(e.getMessage());
        } catch (FetchException e) {
            return new JobStatus.Failed(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new JobStatus.Failed("cancelled");
        } catch (Exception e) {
            return new JobStatus.Failed("the local generator failed: " + dev.foley.media.Ffmpeg.firstLine(e));
        }
    }

    /**
     * A job for a model other than MMAudio v2: its sound as long as it asks (or as the video, up to
     * its limit), in its own rate and channels, over the picture or as sound alone as the model
     * makes it; a model that makes several samples makes each with its own seed.
     */
    private JobStatus runModel(String id, PredictionRequest r, Path jobDir, String attempt, long seed, SoundDesign design,
            MediaWriter.Shape shape, long t0) throws Exception {
        dev.foley.model.Model spec = r.spec();
        Path video = fetch(URI.create(r.video()), jobDir.resolve(attempt + "-input"));
        double asked = r.duration() > 0 ? r.duration() : spec.limits().maxSeconds();
        MotionAnalysis motion = MotionAnalysis.of(video, asked);
        double seconds = Math.min(asked, motion.seconds());
        int samples = r.extra().path("num_samples").asInt(1);
        List<String> outputs = new java.util.ArrayList<>();
        for (int i = 0; i < samples; i++) {
            float[] audio = Synth.render(design, r.maskAwayClip() ? List.of() : motion.onsets(), seconds, r.guidanceScale(), seed + 7919L * i);
            String file = "video".equals(spec.output().media()) ? "video-" + i + ".mp4" : "audio-" + i + ".flac";
            Path tmp = jobDir.resolve(attempt + "-" + file);
            if (file.endsWith(".mp4")) {
                MediaWriter.writeVideo(video, audio, seconds, tmp, shape);
            } else {
                MediaWriter.writeFlac(audio, tmp, shape);
            }
            Files.move(tmp, jobDir.resolve(file), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            outputs.add(baseUrl() + "/outputs/" + id + "/" + file);
        }
        Files.deleteIfExists(video);
        return new JobStatus.Done(outputs, (System.nanoTime() - t0) / 1_000_000, outputs.stream().map(o -> false).toList());
    }

    static final class FetchException extends Exception {
        FetchException(String message) {
            super(message, null, false, false);
        }
    }

    private Path fetch(URI url, Path to) throws FetchException, InterruptedException {
        if (!"http".equalsIgnoreCase(url.getScheme()) && !"https".equalsIgnoreCase(url.getScheme())) {
            throw new FetchException("the video URL must be http(s)");
        }
        boolean own = ownStorage.isPresent() && ownStorage.get().equalsIgnoreCase(url.getRawAuthority());
        try (dev.foley.net.PinnedHttp.Response resp = (own ? ANY : fetcher).get(url, java.util.Map.of(), Duration.ofSeconds(30),
                dev.foley.time.Deadline.in(java.time.Clock.systemUTC(), Duration.ofSeconds(120)))) {
            if (resp.status() != 200) {
                throw new FetchException("the video URL answered HTTP " + resp.status());
            }
            long declared = -1;
            try {
                declared = resp.header("content-length") == null ? -1 : Long.parseLong(resp.header("content-length").strip());
            } catch (NumberFormatException ignored) {
                // the stream's own limit still holds
            }
            if (declared > MAX_VIDEO_BYTES) {
                throw new FetchException("the video is larger than 500 MB");
            }
            try (InputStream limited = new LimitedStream(resp.body(), MAX_VIDEO_BYTES)) {
                Files.copy(limited, to, StandardCopyOption.REPLACE_EXISTING);
            }
            return to;
        } catch (dev.foley.net.PinnedHttp.FetchException e) {
            throw new FetchException("the video URL could not be fetched (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new FetchException(e.getMessage() != null && e.getMessage().contains("500 MB")
                    ? "the video is larger than 500 MB" : "the video download broke off");
        }
    }

    private static final class LimitedStream extends java.io.FilterInputStream {
        private long left;

        LimitedStream(InputStream in, long limit) {
            super(in);
            left = limit;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0 && (left -= n) < 0) {
                throw new IOException("over 500 MB");
            }
            return n;
        }

        @Override
        public int read() throws IOException {
            int c = super.read();
            if (c >= 0 && --left < 0) {
                throw new IOException("over 500 MB");
            }
            return c;
        }
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + files.getAddress().getPort();
    }

    @Override
    public java.util.Optional<String> ownOutputHost() {
        return java.util.Optional.of("127.0.0.1:" + files.getAddress().getPort());
    }

    private void serveFile(HttpExchange ex) throws IOException {
        try (ex) {
            String[] parts = ex.getRequestURI().getPath().split("/");
            // /outputs/<job>/<file>
            if (parts.length != 4 || !parts[2].matches("[0-9a-f]{32}") || !parts[3].matches("(video|audio)(-[0-9]{1,2})?\\.(mp4|flac)")) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            Path f = dir.resolve(parts[2]).resolve(parts[3]);
            if (!Files.isRegularFile(f)) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            ex.getResponseHeaders().set("content-type", parts[3].endsWith(".mp4") ? "video/mp4" : "audio/flac");
            ex.sendResponseHeaders(200, Files.size(f));
            try (OutputStream out = ex.getResponseBody()) {
                Files.copy(f, out);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        workers.shutdownNow();
        try {
            workers.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS); // a graceful stop lets a render end
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        files.stop(0);
    }
}
