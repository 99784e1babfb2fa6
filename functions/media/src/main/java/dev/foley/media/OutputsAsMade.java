package dev.foley.media;

import dev.foley.net.PinnedHttp;
import dev.foley.pipeline.MediaWork;
import dev.foley.pipeline.MediaWork.Finished;
import dev.foley.pipeline.MediaWork.MediaException;
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
 * A result made of the model's own files, kept byte for byte: each checked against the picture (its
 * own, or the client's video), several of them (takes, a model's own samples) put best first by
 * their scores (split out of {@link FfmpegMedia}, whose fetching and storing it uses).
 */
final class OutputsAsMade {

    private final FfmpegMedia media;
    private final OutputStore bucket;

    OutputsAsMade(FfmpegMedia media, OutputStore bucket) {
        this.media = media;
        this.bucket = bucket;
    }

    /**
     * Takes, best first: each take's output (in our bucket) checked against the picture (its own,
     * or the client's video), scored ({@link SoundCheck#score}), and kept byte for byte as output
     * 0, 1, … in the order of their scores (the first take first among equals). Each one's report
     * carries its take: index, seed, score.
     */
    Finished ranked(Prediction p, List<String> keys, Path dir, Deadline until) throws MediaException, IOException {
        record Take(int index, Path file, String ext, SoundCheck check) {
        }
        List<Take> takes = new ArrayList<>();
        double seconds = Double.NaN;
        for (int i = 0; i < keys.size(); i++) {
            Path f = dir.resolve("take-" + i);
            if (!bucket.download(keys.get(i), f)) {
                throw new MediaException("take " + (i + 1) + "'s output is missing from our bucket", true);
            }
            SoundCheck c;
            try {
                Ffmpeg.Probe probe = Ffmpeg.probe(f);
                if (i == 0) {
                    seconds = probe.seconds();
                }
                Path picture = pictureFor(p, f, probe, dir, until);
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
            media.put(key, t.file(), null);
            out.add(key);
            var q = ResultCheck.qualityOf(t.check(), t.check().flags());
            q.putObject("take").put("index", t.index()).put("score", t.check().score()); // its seed: added by the pipeline
            quality.add(dev.foley.json.Json.write(q));
        }
        return new Finished(out, quality, seconds);
    }

    /**
     * The picture an output's sound is checked against: its own, or else the client's video
     * (fetched once into {@code dir}, for every output of the prediction); null for text to audio.
     */
    Path pictureFor(Prediction p, Path output, Ffmpeg.Probe probe, Path dir, Deadline until) throws MediaException {
        if (probe.hasVideo()) {
            return output;
        }
        if (!p.kind().hasVideo()) {
            return null;
        }
        Path video = dir.resolve("video");
        if (!Files.exists(video)) {
            media.fetch(p.request().video(), video, until, "video");
        }
        return video;
    }

    /**
     * Outputs that need no media work but their sound check: each fetched, checked as it is (its own
     * picture, or the client's video for a sound file), and kept byte for byte. Several outputs of
     * one request (a model that makes several samples itself) are put best first, as takes are. An
     * output that cannot be read as sound is kept all the same, and its check says so.
     */
    Finished checkedAsTheyAre(Prediction p, List<String> sources, Path dir, Deadline until)
            throws MediaException, IOException {
        record Output(int index, Path file, String ext, com.fasterxml.jackson.databind.node.ObjectNode quality, double score) {
        }
        List<Output> outputs = new ArrayList<>();
        double seconds = Double.NaN;
        for (int i = 0; i < sources.size(); i++) {
            Path f = dir.resolve("output-" + i);
            media.fetch(sources.get(i), f, until, "the provider's output");
            com.fasterxml.jackson.databind.node.ObjectNode q;
            double score = Double.NEGATIVE_INFINITY;
            try {
                Ffmpeg.Probe probe = Ffmpeg.probe(f);
                if (!probe.hasAudio()) {
                    throw new Ffmpeg.UnreadableException("it has no sound track");
                }
                Path picture = pictureFor(p, f, probe, dir, until);
                float[][] sound = Ffmpeg.audio(f, Ffmpeg.RATE, 2);
                if (i == 0) {
                    seconds = sound[0].length / (double) Ffmpeg.RATE;
                }
                ResultCheck.Checked c = ResultCheck.check(sound, SoundCheck.mono(sound), picture, sound[0].length, p.request().media(), false);
                q = c.json();
                score = c.score();
            } catch (Ffmpeg.UnreadableException e) {
                q = dev.foley.view.Quality.json(p.kind().hasVideo()
                        ? new dev.foley.view.Quality.Sync(null, null, "unreadable: the output could not be read as sound (" + e.getMessage() + ")")
                        : null, null, Double.NEGATIVE_INFINITY, 0, List.of("unreadable"));
            }
            outputs.add(new Output(i, f, OutputStore.extension(sources.get(i)), q, score));
        }
        if (outputs.size() > 1) {
            outputs.sort(Comparator.comparingDouble((Output o) -> -o.score()).thenComparingInt(Output::index));
        }
        List<String> keys = new ArrayList<>();
        List<String> quality = new ArrayList<>();
        for (int rank = 0; rank < outputs.size(); rank++) {
            Output o = outputs.get(rank);
            String key = OutputStore.keyOf(p.id(), rank, o.ext());
            media.put(key, o.file(), null);
            keys.add(key);
            if (outputs.size() > 1) {
                o.quality().putObject("take").put("index", o.index()).put("score", Double.isFinite(o.score()) ? o.score() : 0);
            }
            quality.add(dev.foley.json.Json.write(o.quality()));
        }
        return new Finished(keys, quality, seconds);
    }

}
