package dev.foley.media;

import dev.foley.net.PinnedHttp;
import dev.foley.pipeline.MediaWork;
import dev.foley.model.Model;
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
        this.asMade = new OutputsAsMade(this, bucket);
        this.redo = new RedoSplice(this, bucket);
    }

    /** A regenerate's picture and splice. */
    private final RedoSplice redo;

    /** Outputs kept as the model made them: each checked, takes ranked. */
    private final OutputsAsMade asMade;

    /** Where the cut keeps its copy of the video, for the join (the client's URL may not last). */
    static String sourceKey(String id) {
        return "work/" + id + "/source";
    }

    @Override
    public Cut cut(Prediction p, Deadline until) throws MediaException {
        Path dir = workDir(p.id() + "-cut");
        try {
            Path source = dir.resolve("source");
            dev.foley.prediction.Redo r = p.request().media().redo();
            if (r != null) {
                redo.source(r, source, until); // the parent's picture, wherever it is still kept
            } else {
                fetch(p.request().video(), source, until, "video");
            }
            Ffmpeg.Probe probe = probeVideo(source);
            int asked = p.request().duration();
            double seconds = asked > 0 ? Math.min(asked, probe.seconds()) : probe.seconds();
            int most = p.request().spec().limits().longMaxSeconds();
            if (asked == 0 && probe.seconds() > most + 0.05) {
                throw new MediaException(String.format(Locale.ROOT, "video: the clip is %.1f s long; %s takes at most %d s "
                        + "(set duration to cover part of it)", probe.seconds(), p.request().path(), most), false);
            }
            MediaOptions o = p.request().media();
            if (r != null) {
                RedoSplice.inside(r, seconds);
            }
            for (int i = 0; i < o.segments().size(); i++) {
                var g = o.segments().get(i);
                if (g.end() > seconds + 0.05) {
                    throw new MediaException(String.format(Locale.ROOT, "segments[%d].%s: %.2f s is past the end of the %.2f s of video"
                            + " covered", i, g.start() >= seconds ? "start" : "end", g.start() >= seconds ? g.start() : g.end(), seconds), false);
                }
            }
            // The copy for the join goes up while the windows are cut (it is not needed before the last window is done).
            var keep = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    put(sourceKey(p.id()), source, "video/mp4");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            Ffmpeg.WindowSink up = (i, clip) -> {
                put(MediaWork.windowClipKey(p.id(), i), clip, "video/mp4");
                Files.deleteIfExists(clip);
            };
            List<Double> cuts = List.of();
            if (o.sceneCuts() && probe.hasVideo() && r == null) {
                // The shots found in the split's own decode, the windows placed as the picture streams by.
                cuts = FollowingCut.cut(source, probe, p.request(), seconds, dir, up).cuts();
            } else {
                if (o.sceneCuts() && probe.hasVideo() && r.parentCuts() != null) {
                    cuts = r.parentCuts(); // a regenerate of a long prediction: its parent's shots, as found when it was cut
                } else if (o.sceneCuts() && probe.hasVideo()) {
                    // Else it looks for cuts in its stretch and context only (a short pass), then cuts its windows.
                    double[] range = r.range(seconds, Windows.shortest(p.request()));
                    cuts = SceneCuts.of(source, probe, range[0], range[1]);
                }
                Ffmpeg.cut(source, probe, Windows.planFor(p.request(), seconds, cuts), dir, up);
            }
            // After the cut, so a video that cannot be decoded says that first.
            int least = p.request().spec().limits().minSeconds();
            if (seconds < least - 0.05) {
                throw new MediaException(String.format(Locale.ROOT, "video: %.1f s to cover; %s makes sound for at least %d s",
                        seconds, p.request().spec().title(), least), false);
            }
            try {
                keep.join();
            } catch (java.util.concurrent.CompletionException e) {
                throw e.getCause() instanceof RuntimeException re ? re : new UncheckedIOException(new IOException(e.getCause()));
            }
            return new Cut(seconds, cuts);
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
            if (!o.shapesTheResult(kind)) { // the model's files as they are: checked, and takes ranked
                return p.hasTakes() ? asMade.ranked(p, sources, dir, until) : asMade.checkedAsTheyAre(p, sources, dir, until);
            }
            String format = o.formatFor(kind);
            Path video = videoFor(p, dir, until);
            Model.Output out = p.request().spec().output();
            float[][] original = video == null || "replace".equals(o.originalAudio()) ? null
                    : originalSound(video, o.originalAudio(), out.sampleRate());
            if (kind == Kind.LONG) {
                WindowJoin.Joined joined = new WindowJoin(bucket).joined(p, sources, dir);
                dev.foley.prediction.Redo r = o.redo();
                Made made;
                if (r == null) {
                    made = shaped(p, joined.sound(), original, video, dir, "result");
                } else {
                    // The new stretch (with the clip's own sound under it, as the parent had it) into the parent's result.
                    float[][] fresh = original == null ? joined.sound() : "duck".equals(o.originalAudio())
                            ? Sound.duck(joined.sound(), original, o.originalLevel(), out.sampleRate())
                            : Sound.mix(joined.sound(), original, o.originalLevel());
                    float[][] parent = redo.parentSound(r, dir, out.sampleRate(), Math.max(fresh.length, out.channels()));
                    made = shaped(p, RedoSplice.splice(parent, fresh, out.sampleRate(), r), null, video, dir, "result", false);
                }
                String key = OutputStore.keyOf(p.id(), 0, "." + format);
                put(key, made.file(), null);
                if (made.check() == null) {
                    return new Finished(List.of(key), List.of());
                }
                if (joined.windows() != null) {
                    made.check().json().set("windows", joined.windows());
                }
                return new Finished(List.of(key), List.of(dev.foley.json.Json.write(made.check().json())));
            }
            // One output, or each take: its sound shaped as asked, checked; takes best first.
            List<Made> made = new ArrayList<>();
            for (int i = 0; i < sources.size(); i++) {
                Path f = dir.resolve("output-" + i);
                String what = p.hasTakes() ? "take " + (i + 1) + "'s output" : "the provider's output";
                if (p.hasTakes()) {
                    if (!bucket.download(sources.get(i), f)) {
                        throw new MediaException(what + " is missing from our bucket", true);
                    }
                } else {
                    fetch(sources.get(i), f, until, what);
                }
                float[][] track = soundOf(f, what, out.sampleRate(), out.channels());
                Files.deleteIfExists(f);
                made.add(shaped(p, track, original, video, dir, "result-" + i));
            }
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < made.size(); i++) {
                order.add(i);
            }
            if (p.hasTakes()) {
                order.sort(Comparator.comparingDouble((Integer i) -> -made.get(i).check().score()).thenComparingInt(i -> i));
            }
            List<String> keys = new ArrayList<>();
            List<String> quality = new ArrayList<>();
            double seconds = made.isEmpty() ? Double.NaN : made.get(0).seconds();
            for (int rank = 0; rank < order.size(); rank++) {
                Made m = made.get(order.get(rank));
                String key = OutputStore.keyOf(p.id(), rank, "." + format);
                put(key, m.file(), null);
                keys.add(key);
                if (m.check() != null) {
                    if (p.hasTakes()) {
                        m.check().json().putObject("take").put("index", order.get(rank)).put("score", m.check().score());
                    }
                    quality.add(dev.foley.json.Json.write(m.check().json()));
                }
            }
            return new Finished(keys, quality, seconds);
        } catch (Ffmpeg.UnreadableException e) {
            throw new MediaException(e.getMessage(), false);
        } catch (UncheckedIOException | IOException | StoreUnavailableException e) {
            throw new MediaException("the result could not be made (" + Ffmpeg.firstLine(e) + ")", true);
        } finally {
            delete(dir);
        }
    }

    /** A result made in {@code dir}: its file and its check (null when the check is off). */
    private record Made(Path file, ResultCheck.Checked check, double seconds) {
    }

    /**
     * The model's sound {@code model} made into the result asked for: the clip's own sound mixed or
     * ducked under it, the whole brought to the loudness target, checked (the sync on the model's
     * sound, the rest on the result), and written as the format asked (over the clip's picture for mp4).
     */
    private Made shaped(Prediction p, float[][] model, float[][] original, Path video, Path dir, String name)
            throws IOException, MediaException {
        return shaped(p, model, original, video, dir, name, true);
    }

    /** The same; {@code toTarget} false: the loudness left as it is (a regenerate keeps its parent's level outside its stretch). */
    private Made shaped(Prediction p, float[][] model, float[][] original, Path video, Path dir, String name, boolean toTarget)
            throws IOException, MediaException {
        MediaOptions o = p.request().media();
        Kind kind = p.kind();
        int rate = p.request().spec().output().sampleRate();
        int total = model[0].length;
        // The new sound in the model's own rate and channels (MMAudio: 44.1 kHz mono; HunyuanVideo-Foley: 48 kHz stereo);
        // with the clip's own sound kept, the result has as many channels as the more of the two.
        float[][] sound = model;
        if (original != null) {
            sound = "duck".equals(o.originalAudio()) ? Sound.duck(model, original, o.originalLevel(), rate)
                    : Sound.mix(model, original, o.originalLevel());
        }
        boolean missed = false;
        if (o.loudnessLufs() != null && toTarget) {
            // The whole result (the mix, with mix or duck) to the target, under the ceiling; measured after.
            LoudnessTarget.Result r = LoudnessTarget.apply(sound, rate, o.loudnessLufs(), o.truePeakDbtp());
            sound = r.channels();
            missed = r.missed(o.loudnessLufs());
        }
        // The check (the picture's motion decoded, the sync search) runs while the result is encoded: both only read the sound.
        float[][] made = sound;
        boolean targetMissed = missed;
        float[] modelMono = SoundCheck.mono(model);
        List<Double> cuts = p.windows() == null || !o.sceneCuts() ? List.of() : p.windows().cuts();
        var checking = o.soundCheck() ? java.util.concurrent.CompletableFuture.supplyAsync(
                () -> ResultCheck.check(made, modelMono, rate, video, cuts, total, o, targetMissed))
                : java.util.concurrent.CompletableFuture.<ResultCheck.Checked>completedFuture(null);
        String format = o.formatFor(kind);
        Path result = dir.resolve(name + "." + format);
        if ("mp4".equals(format)) {
            Path track = dir.resolve(name + "-sound.m4a");
            Ffmpeg.encode(sound, rate, "m4a", track);
            Ffmpeg.mux(video, track, total / (double) rate, result);
            Files.deleteIfExists(track);
        } else {
            Ffmpeg.encode(sound, rate, format, result);
        }
        try {
            return new Made(result, checking.join(), total / (double) rate);
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    /**
     * The client's video in {@code dir} (for a long video, the cut's copy in our bucket), when the
     * result needs it: for the check, the clip's own sound or an mp4; null otherwise or for text.
     */
    private Path videoFor(Prediction p, Path dir, Deadline until) throws MediaException, IOException {
        MediaOptions o = p.request().media();
        Kind kind = p.kind();
        if (!kind.hasVideo() || !(o.soundCheck() || !"replace".equals(o.originalAudio()) || "mp4".equals(o.formatFor(kind)))) {
            return null;
        }
        Path video = dir.resolve("video");
        if (kind == Kind.LONG) {
            if (!bucket.download(sourceKey(p.id()), video)) {
                throw new MediaException("the cut's copy of the video is missing from our bucket", true);
            }
        } else {
            fetch(p.request().video(), video, until, "video");
        }
        return video;
    }

    /** The clip's own sound, for mix or duck, in its own channels (surround mixed down to stereo); null when it has none. */
    private static float[][] originalSound(Path video, String asked, int rate) throws MediaException {
        try {
            return Ffmpeg.audio(video, rate, 2);
        } catch (Ffmpeg.UnreadableException e) {
            throw new MediaException("video: " + e.getMessage() + "; original_audio " + asked + " needs it (replace does not)", false);
        }
    }

    /** A model's output decoded at {@code rate}, in at most {@code channels} (its own, as the model makes them). */
    static float[][] soundOf(Path file, String what, int rate, int channels) throws MediaException {
        try {
            float[][] t = Ffmpeg.audio(file, rate, channels);
            if (t == null || t.length == 0 || t[0].length == 0) {
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
    void fetch(String url, Path to, Deadline until, String what) throws MediaException {
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

    void put(String key, Path file, String type) throws IOException {
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
