package dev.foley.local;

import dev.foley.media.Ffmpeg;
import dev.foley.prediction.Windows;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs inside an arm64 JVM (under qemu, from {@link Arm64LayerTest}) on the class path Lambda gives
 * the media function: its zip and the FFmpeg layer's jars. Does with each clip what the media
 * function does (probe, cut windows, decode the sound, put a new sound track on its picture), writes
 * every output format,
 * and prints one tab-separated line per fact for the test to check. Nothing here decides pass or
 * fail: it reports.
 */
public final class Arm64Smoke {

    private Arm64Smoke() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        Ffmpeg.init();
        say("configuration", org.bytedeco.ffmpeg.global.avutil.avutil_configuration().getString());
        say("missing", String.join(",", Ffmpeg.missing()));
        float[] tone = new float[Ffmpeg.RATE * 2];
        for (int i = 0; i < tone.length; i++) {
            tone[i] = (float) (0.5 * Math.sin(2 * Math.PI * 440 * i / Ffmpeg.RATE));
        }
        for (String format : List.of("wav", "flac", "mp3", "m4a")) {
            Path f = dir.resolve("tone." + format);
            Ffmpeg.encode(tone, Ffmpeg.RATE, format, f);
            Ffmpeg.Probe p = Ffmpeg.probe(f);
            float[] back = Ffmpeg.audio(f, Ffmpeg.RATE);
            say("encode", format, p.audioCodec(), fmt(p.seconds()), String.valueOf(back.length));
        }
        for (int a = 1; a < args.length; a++) {
            Path clip = Path.of(args[a]);
            String name = clip.getFileName().toString();
            try {
                Ffmpeg.Probe p = Ffmpeg.probe(clip);
                say("probe", name, p.videoCodec(), p.audioCodec(), p.width() + "x" + p.height(), fmt(p.frameRate()), fmt(p.seconds()));
                if (p.hasVideo()) {
                    double half = p.seconds() / 2;
                    List<Windows.Window> plan = List.of(new Windows.Window(0, 0, half + 0.25), new Windows.Window(1, half - 0.25, p.seconds() - half + 0.25));
                    Path out = dir.resolve(name + "-windows");
                    Files.createDirectories(out);
                    List<String> lines = new ArrayList<>();
                    Ffmpeg.cut(clip, p, plan, out, (i, w) -> {
                        Ffmpeg.Probe q = Ffmpeg.probe(w);
                        synchronized (lines) {
                            lines.add(String.join("\t", "window", name, String.valueOf(i), q.videoCodec(), q.width() + "x" + q.height(),
                                    fmt(q.seconds())));
                        }
                    });
                    // The split that follows the shots, finding them in its own decode (the default on the long path).
                    var request = dev.foley.prediction.PredictionRequest.ofModel(dev.foley.prediction.Kind.LONG,
                            dev.foley.model.Models.MMAUDIO_V2, dev.foley.json.Json.object().put("video", "https://x/v").put("prompt", "p")
                                    .put("window_seconds", 4));
                    List<Double> cuts = Ffmpeg.cutFollowingShots(clip, p, request, p.seconds(), out, (i, w) -> {
                        Ffmpeg.Probe q = Ffmpeg.probe(w);
                        synchronized (lines) {
                            lines.add(String.join("\t", "following", name, String.valueOf(i), q.videoCodec(), q.width() + "x" + q.height(),
                                    fmt(q.seconds())));
                        }
                    });
                    lines.add(String.join("\t", "scenes", name, String.valueOf(cuts.size() + 1)));
                    lines.stream().sorted().forEach(System.out::println);
                    Path muxed = dir.resolve(name + ".foley.mp4");
                    Ffmpeg.mux(clip, dir.resolve("tone.m4a"), p.seconds(), muxed);
                    Ffmpeg.Probe m = Ffmpeg.probe(muxed);
                    say("mux", name, m.videoCodec(), m.audioCodec(), fmt(m.seconds()));
                }
                if (p.hasAudio()) {
                    float[] s = Ffmpeg.audio(clip, Ffmpeg.RATE);
                    say("sound", name, String.valueOf(s.length), fmt(dev.foley.media.Sound.levelDb(s, 0, s.length)));
                }
            } catch (Exception e) {
                say("error", name, Ffmpeg.firstLine(e));
            }
        }
        say("done");
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static void say(String... fields) {
        System.out.println(String.join("\t", fields));
    }
}
