package dev.foley.media;

import dev.foley.net.PinnedHttp;
import dev.foley.pipeline.MediaWork;
import dev.foley.prediction.Kind;
import dev.foley.prediction.MediaOptions;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.RequestValidator;
import dev.foley.prediction.Windows;
import dev.foley.store.OutputStore;
import dev.foley.store.StoreUnavailableException;
import dev.foley.time.Deadline;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@link MediaWork} with FFmpeg: files in a directory of their own under {@code /tmp} (removed
 * after each step), inputs fetched through {@link PinnedHttp} (the same URL guard as every other
 * fetch: checked address, redirects re-checked, read timeout), work files and results in our
 * bucket. Sound is handled as mono 44.1 kHz floats ({@link Sound}).
 */
public final class FfmpegMedia implements MediaWork {

    /** A download that sends nothing for this long has stalled. */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
    /** The most it fetches of one file: /tmp (10 GB) must hold it, its windows and the result. */
    static final long MAX_FETCH_BYTES = 4_000_000_000L;

    private final OutputStore bucket;
    private final PinnedHttp http;
    private final Path tmp;

    public FfmpegMedia(OutputStore bucket, PinnedHttp http, Path tmp) {
        this.bucket = bucket;
        this.http = http;
        this.tmp = tmp;
    }

    /** Where the cut keeps its copy of the video, for the join (the client's URL may not last). */
    static String sourceKey(String id) {
        return "work/" + id + "/source";
    }

    @Override
    public double cut(Prediction p, Deadline until) throws MediaException {
        Path dir = workDir(p.id() + "-cut");
        try {
            Path source = dir.resolve("source");
            fetch(p.request().video(), source, until, "video");
            Ffmpeg.Probe probe = probeVideo(source);
            int asked = p.request().duration();
            double seconds = asked > 0 ? Math.min(asked, probe.seconds()) : probe.seconds();
            if (asked == 0 && probe.seconds() > RequestValidator.MAX_LONG_SECONDS + 0.05) {
                throw new MediaException(String.format(Locale.ROOT, "video: the clip is %.1f s long; %s takes at most %d s "
                        + "(set duration to cover part of it)", probe.seconds(), Kind.LONG.model(), RequestValidator.MAX_LONG_SECONDS), false);
            }
            MediaOptions o = p.request().media();
            List<Windows.Window> plan = Windows.plan(seconds, o.windowSeconds(), o.overlapSeconds());
            // The copy for the join goes up while the windows are cut (it is not needed before the last window is done).
            var keep = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    put(sourceKey(p.id()), source, "video/mp4");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            Ffmpeg.cut(source, probe, plan, dir, (i, clip) -> {
                put(MediaWork.windowClipKey(p.id(), i), clip, "video/mp4");
                Files.deleteIfExists(clip);
            });
            try {
                keep.join();
            } catch (java.util.concurrent.CompletionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new UncheckedIOException(new IOException(e.getCause()));
            }
            return seconds;
        } catch (Ffmpeg.UnreadableException e) {
            throw new MediaException("video: " + e.getMessage(), false);
        } catch (UncheckedIOException | IOException | StoreUnavailableException e) {
            throw new MediaException("the video could not be cut (" + Ffmpeg.firstLine(e) + ")", true);
        } finally {
            delete(dir);
        }
    }

    @Override
    public Finished finish(Prediction p, List<String> sources, Deadline until) throws MediaException {
        Path dir = workDir(p.id() + "-finish");
        try {
            MediaOptions o = p.request().media();
            Kind kind = p.kind();
            if (p.hasTakes()) {
                return ranked(p, sources, dir, until);
            }
            if (kind != Kind.LONG && !o.needsMedia(kind)) {
                return checkedAsTheyAre(p, sources, dir, until);
            }
            List<float[]> tracks = new ArrayList<>();
            List<Windows.Window> plan;
            int total;
            if (kind == Kind.LONG) {
                plan = Windows.plan(p.windows().seconds(), o.windowSeconds(), o.overlapSeconds());
                tracks.addAll(windowSounds(sources, dir));
                total = (int) Math.round(p.windows().seconds() * Ffmpeg.RATE);
            } else {
                Path f = dir.resolve("output");
                fetch(sources.get(0), f, until, "the provider's output");
                float[] t = soundOf(f, "the provider's output");
                tracks.add(t);
                total = t.length;
                plan = List.of(new Windows.Window(0, 0, total / (double) Ffmpeg.RATE));
            }
            // The new sound is mono (as the model makes it); with the clip's own sound kept, the result has the clip's channels.
            float[][] sound = {Sound.join(plan, tracks, Ffmpeg.RATE, total, o.overlapSeconds())};
            float[] modelSound = sound[0]; // what the sync check lines up with the picture (not the clip's own sound)
            tracks.clear();
            String format = o.formatFor(kind);
            Path video = null;
            if (kind.hasVideo() && (o.soundCheck() || !"replace".equals(o.originalAudio()) || "mp4".equals(format))) {
                video = dir.resolve("video");
                if (kind == Kind.LONG) {
                    if (!bucket.download(sourceKey(p.id()), video)) {
                        throw new MediaException("the cut's copy of the video is missing from our bucket", true);
                    }
                } else {
                    fetch(p.request().video(), video, until, "video");
                }
                if (!"replace".equals(o.originalAudio())) {
                    float[][] original = originalSound(video, o.originalAudio());
                    if (original != null) { // a clip without sound: as replace
                        sound = "duck".equals(o.originalAudio()) ? Sound.duck(sound[0], original, o.originalLevel(), Ffmpeg.RATE)
                                : Sound.mix(sound[0], original, o.originalLevel());
                    }
                }
            }
            boolean missed = false;
            if (o.loudnessLufs() != null) {
                // The whole result (the mix, with mix or duck) to the target, under the ceiling; measured after.
                LoudnessTarget.Result r = LoudnessTarget.apply(sound, Ffmpeg.RATE, o.loudnessLufs(), o.truePeakDbtp());
                sound = r.channels();
                missed = r.missed(o.loudnessLufs());
            }
            List<String> quality = o.soundCheck() ? List.of(check(sound, modelSound, video, total, o, missed)) : List.of();
            Path result = dir.resolve("result." + format);
            if ("mp4".equals(format)) {
                Path track = dir.resolve("sound.m4a");
                Ffmpeg.encode(sound, Ffmpeg.RATE, "m4a", track);
                Ffmpeg.mux(video, track, total / (double) Ffmpeg.RATE, result);
            } else {
                Ffmpeg.encode(sound, Ffmpeg.RATE, format, result);
            }
            String key = OutputStore.keyOf(p.id(), 0, "." + format);
            put(key, result, null);
            return new Finished(List.of(key), quality);
        } catch (Ffmpeg.UnreadableException e) {
            throw new MediaException(e.getMessage(), false);
        } catch (UncheckedIOException | IOException | StoreUnavailableException e) {
            throw new MediaException("the result could not be made (" + Ffmpeg.firstLine(e) + ")", true);
        } finally {
            delete(dir);
        }
    }

    /**
     * Takes, best first: each take's output (in our bucket) checked against the picture (its own,
     * or the client's video), scored ({@link SoundCheck#score}), and kept byte for byte as output
     * 0, 1, … in the order of their scores (the first take first among equals). Each one's report
     * carries its take: index, seed, score.
     */
    private Finished ranked(Prediction p, List<String> keys, Path dir, Deadline until) throws MediaException, IOException {
        record Take(int index, Path file, String ext, SoundCheck check) {
        }
        List<Take> takes = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            Path f = dir.resolve("take-" + i);
            if (!bucket.download(keys.get(i), f)) {
                throw new MediaException("take " + (i + 1) + "'s output is missing from our bucket", true);
            }
            SoundCheck c;
            try {
                Path picture = pictureFor(p, f, Ffmpeg.probe(f), dir, until);
                c = SoundCheck.of(f, java.util.Optional.ofNullable(picture));
            } catch (Ffmpeg.UnreadableException e) {
                c = new SoundCheck(new SoundCheck.Sync(null, null, "unreadable: " + e.getMessage()),
                        new Loudness(Double.NaN, Double.NEGATIVE_INFINITY, 0), List.of("silent"));
            }
            takes.add(new Take(i, f, OutputStore.extension(keys.get(i)), c));
        }
        takes.sort(java.util.Comparator.comparingDouble((Take t) -> -t.check().score()).thenComparingInt(Take::index));
        List<String> out = new ArrayList<>();
        List<String> quality = new ArrayList<>();
        for (int rank = 0; rank < takes.size(); rank++) {
            Take t = takes.get(rank);
            String key = OutputStore.keyOf(p.id(), rank, t.ext());
            put(key, t.file(), null);
            out.add(key);
            var q = dev.foley.view.Quality.json(t.check().sync() == null ? null : new dev.foley.view.Quality.Sync(
                    t.check().sync().offsetMs(), t.check().sync().confidence(), t.check().sync().reason()),
                    t.check().loudness().measured() ? t.check().loudness().integratedLufs() : null,
                    t.check().loudness().truePeakDbtp(), t.check().loudness().rangeLu(), t.check().flags());
            q.putObject("take").put("index", t.index()).put("score", t.check().score()); // its seed: added by the pipeline
            quality.add(dev.foley.json.Json.write(q));
        }
        return new Finished(out, quality);
    }

    /**
     * The picture an output's sound is checked against: its own, or else the client's video
     * (fetched once into {@code dir}, for every output of the prediction); null for text to audio.
     */
    private Path pictureFor(Prediction p, Path output, Ffmpeg.Probe probe, Path dir, Deadline until) throws MediaException {
        if (probe.hasVideo()) {
            return output;
        }
        if (!p.kind().hasVideo()) {
            return null;
        }
        Path video = dir.resolve("video");
        if (!Files.exists(video)) {
            fetch(p.request().video(), video, until, "video");
        }
        return video;
    }

    /**
     * Outputs that need no media work but their sound check: each fetched, checked as it is (its own
     * picture, or the client's video for a sound file), and kept byte for byte. An output that cannot
     * be read as sound is kept all the same, and its check says so.
     */
    private Finished checkedAsTheyAre(Prediction p, List<String> sources, Path dir, Deadline until)
            throws MediaException, IOException {
        List<String> keys = new ArrayList<>();
        List<String> quality = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            Path f = dir.resolve("output-" + i);
            fetch(sources.get(i), f, until, "the provider's output");
            String q;
            try {
                Ffmpeg.Probe probe = Ffmpeg.probe(f);
                if (!probe.hasAudio()) {
                    throw new Ffmpeg.UnreadableException("it has no sound track");
                }
                Path picture = pictureFor(p, f, probe, dir, until);
                float[][] sound = Ffmpeg.audio(f, Ffmpeg.RATE, 2);
                q = check(sound, SoundCheck.mono(sound), picture, sound[0].length, p.request().media(), false);
            } catch (Ffmpeg.UnreadableException e) {
                q = dev.foley.json.Json.write(dev.foley.view.Quality.json(p.kind().hasVideo()
                        ? new dev.foley.view.Quality.Sync(null, null, "unreadable: the output could not be read as sound (" + e.getMessage() + ")")
                        : null, null, Double.NEGATIVE_INFINITY, 0, List.of("unreadable")));
            }
            String key = OutputStore.keyOf(p.id(), i, OutputStore.extension(sources.get(i)));
            put(key, f, null);
            keys.add(key);
            quality.add(q);
        }
        return new Finished(keys, quality);
    }

    /**
     * The sound check of a result: its sync (the model's own sound against the picture's motion; a
     * picture that cannot be read says so), its loudness and flags, as the JSON clients read.
     */
    private static String check(float[][] sound, float[] modelSound, Path video, int total, MediaOptions o, boolean missed) {
        SoundCheck.Sync sync = null;
        if (video != null) {
            try {
                var motion = MotionAnalysis.of(video, Math.max(1, total / (double) Ffmpeg.RATE));
                sync = SoundCheck.sync(motion.onsets(), SoundCheck.onsets(modelSound, Ffmpeg.RATE));
            } catch (MotionAnalysis.UnreadableVideoException e) {
                sync = new SoundCheck.Sync(null, null, "no_motion: the picture could not be read (" + e.getMessage() + ")");
            }
        }
        SoundCheck c = SoundCheck.of(sound, Ffmpeg.RATE, sync);
        List<String> flags = new ArrayList<>(c.flags());
        if (missed) {
            flags.add("loudness_target_missed");
        }
        var q = dev.foley.view.Quality.json(sync == null ? null : new dev.foley.view.Quality.Sync(sync.offsetMs(), sync.confidence(),
                sync.reason()), c.loudness().measured() ? c.loudness().integratedLufs() : null, c.loudness().truePeakDbtp(),
                c.loudness().rangeLu(), flags);
        if (o.loudnessLufs() != null) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) q.get("loudness")).put("target_lufs", o.loudnessLufs());
        }
        return dev.foley.json.Json.write(q);
    }

    /** The windows' sound, in order: fetched from our bucket a few at a time, each decoded as it arrives. */
    private List<float[]> windowSounds(List<String> keys, Path dir) throws MediaException, IOException {
        List<java.util.concurrent.Future<float[]>> parts = new ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(Math.min(4, Math.max(1, keys.size())))) {
            for (int i = 0; i < keys.size(); i++) {
                int n = i;
                parts.add(pool.submit(() -> {
                    Path f = dir.resolve("window-" + n);
                    if (!bucket.download(keys.get(n), f)) {
                        throw new MediaException("window " + (n + 1) + "'s sound is missing from our bucket", true);
                    }
                    float[] t = soundOf(f, "window " + (n + 1) + "'s output");
                    Files.deleteIfExists(f);
                    return t;
                }));
            }
            List<float[]> out = new ArrayList<>();
            for (var part : parts) {
                out.add(part.get());
            }
            return out;
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof MediaException m) {
                throw m;
            }
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MediaException("interrupted while reading the windows' sound", true);
        }
    }

    /** The clip's own sound, for mix or duck, in its own channels (surround mixed down to stereo); null when it has none. */
    private static float[][] originalSound(Path video, String asked) throws MediaException {
        try {
            return Ffmpeg.audio(video, Ffmpeg.RATE, 2);
        } catch (Ffmpeg.UnreadableException e) {
            throw new MediaException("video: " + e.getMessage() + "; original_audio " + asked + " needs it (replace does not)", false);
        }
    }

    private static float[] soundOf(Path file, String what) throws MediaException {
        try {
            float[] t = Ffmpeg.audio(file, Ffmpeg.RATE);
            if (t == null || t.length == 0) {
                throw new MediaException(what + " has no sound", false);
            }
            return t;
        } catch (Ffmpeg.UnreadableException e) {
            throw new MediaException(what + " could not be read: " + e.getMessage(), false);
        }
    }

    private static Ffmpeg.Probe probeVideo(Path source) throws MediaException {
        try {
            Ffmpeg.Probe probe = Ffmpeg.probe(source);
            if (!probe.hasVideo()) {
                throw new MediaException("video: the file has " + (probe.hasAudio() ? "only a sound track" : "no video stream")
                        + "; the model needs a picture", false);
            }
            if (!Ffmpeg.VIDEO_CODECS.contains(probe.videoCodec())) {
                throw new MediaException("video: " + Ffmpeg.notRead("picture", probe.videoCodec(), Ffmpeg.VIDEO_CODECS), false);
            }
            if (!(probe.seconds() > 0)) {
                throw new MediaException("video: its length could not be read (a truncated or streaming-only file?)", false);
            }
            return probe;
        } catch (Ffmpeg.UnreadableException e) {
            throw new MediaException("video: " + e.getMessage() + " (corrupt, truncated, or not a video)", false);
        }
    }

    /** Fetches {@code url} to {@code to} through the URL guard; a refusal or a 4xx is the client's to fix. */
    private void fetch(String url, Path to, Deadline until, String what) throws MediaException {
        try (PinnedHttp.Response resp = http.get(URI.create(url), Map.of("Accept", "*/*"), READ_TIMEOUT, until)) {
            if (resp.status() != 200) {
                throw new MediaException(what + ": the URL answered HTTP " + resp.status(), resp.status() >= 500 || resp.status() == 429);
            }
            String length = resp.header("content-length");
            if (length != null && length.strip().matches("[0-9]{1,19}") && new java.math.BigInteger(length.strip())
                    .compareTo(java.math.BigInteger.valueOf(MAX_FETCH_BYTES)) > 0) {
                throw new MediaException(what + ": larger than " + MAX_FETCH_BYTES / 1_000_000_000 + " GB, more than the media function takes", false);
            }
            try (InputStream in = resp.body(); var out = Files.newOutputStream(to)) {
                byte[] buf = new byte[1 << 16];
                long total = 0;
                for (int n; (n = in.read(buf)) > 0; ) {
                    total += n;
                    if (total > MAX_FETCH_BYTES) { // a server that sends more than it said, or said nothing
                        throw new MediaException(what + ": larger than " + MAX_FETCH_BYTES / 1_000_000_000
                                + " GB, more than the media function takes", false);
                    }
                    out.write(buf, 0, n);
                }
            }
        } catch (PinnedHttp.TooSlowException e) {
            // A client's server that trickles is not asked again (it would hold the work as long each
            // time); a provider's storage that stalls may be a passing fault.
            throw new MediaException(what + " could not be fetched: " + e.getMessage(), !what.equals("video"));
        } catch (java.io.InterruptedIOException e) {
            throw new MediaException(what + ": the fetch was stopped (the prediction was cancelled or taken over)", true);
        } catch (PinnedHttp.FetchException e) {
            throw new MediaException(what + " could not be fetched: " + e.getMessage(), !e.refused());
        } catch (IOException | IllegalArgumentException e) {
            throw new MediaException(what + " broke off while fetching", true);
        }
    }

    private void put(String key, Path file, String type) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            bucket.put(key, in, type);
        }
    }

    private Path workDir(String name) throws MediaException {
        try {
            Files.createDirectories(tmp);
            return Files.createTempDirectory(tmp, name);
        } catch (IOException e) {
            throw new MediaException("no room for media work (" + e.getMessage() + ")", true);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // best effort: /tmp is the function's own
        }
    }
}
