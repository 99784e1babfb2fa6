package dev.foley.local;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV422P10LE;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUVJ420P;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.foley.local.bench.Clips;
import dev.foley.local.bench.HandlerStartup;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The media function's FFmpeg layer as Lambda will run it: arm64 (this machine is x86_64), with
 * nothing from the system but what Lambda's Amazon Linux 2023 runtime has.
 *
 * <p>First by reading the libraries (readelf): every library is AArch64, each one it needs is in the
 * layer or in that runtime, none asks for a newer glibc or libstdc++ than it has, and every FFmpeg
 * function JavaCV's JNI wrappers call is defined by the FFmpeg build in the layer. Then by running it:
 * an arm64 Java 21 under qemu, on the class path Lambda builds (the function's zip, the layer's jars),
 * probes, cuts and decodes clips in every codec family Foley promises (made here with this machine's
 * FFmpeg), refuses a codec it does not promise and a broken file as the function would, writes every
 * output format and puts a new sound track on each picture (MP4). Needs qemu-user and an arm64 JRE
 * ({@code local/src/test/arm64/install-arm64-jre.sh}); skipped, saying so, without them, and
 * required in CI ({@code FOLEY_REQUIRE_ARM64=1}).
 */
class Arm64LayerTest {

    /** What the java21 runtime's Amazon Linux 2023 has: glibc 2.34, GCC 11's libstdc++ and libgcc. */
    static final Set<String> LAMBDA_SYSTEM_LIBS = Set.of("libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1",
            "ld-linux-aarch64.so.1", "libstdc++.so.6", "libgcc_s.so.1");
    static final Map<String, String> LAMBDA_NEWEST = Map.of("GLIBC", "2.34", "GLIBCXX", "3.4.29", "CXXABI", "1.3.13", "GCC", "11.0");

    static final Path ROOT = Moto.projectRoot();
    static final Path LAYER = ROOT.resolve("functions/media/target/ffmpeg-layer.zip");
    static final Path FUNCTION = ROOT.resolve("functions/media/target/media.zip");

    @TempDir
    Path dir;

    /** Every native library of the layer, unpacked from its jars: file name -> path. */
    Map<String, Path> unpackNatives() throws IOException {
        Path natives = dir.resolve("natives");
        Files.createDirectories(natives);
        Map<String, Path> out = new TreeMap<>();
        try (var z = new java.util.zip.ZipFile(LAYER.toFile())) {
            for (var e : java.util.Collections.list(z.entries())) {
                if (!e.getName().endsWith(".jar")) {
                    continue;
                }
                try (var jar = new java.util.zip.ZipInputStream(z.getInputStream(e))) {
                    for (var inner = jar.getNextEntry(); inner != null; inner = jar.getNextEntry()) {
                        String n = inner.getName();
                        if (n.matches(".*\\.so(\\.[0-9]+)*$")) {
                            String file = n.substring(n.lastIndexOf('/') + 1);
                            assertFalse(out.containsKey(file), file + " is in the layer twice");
                            Path p = natives.resolve(file);
                            Files.copy(jar, p);
                            out.put(file, p);
                        }
                    }
                }
            }
        }
        return out;
    }

    @Test
    void theLayerIsSmallAndNeedsNothingLambdaLacks() throws Exception {
        assertTrue(Files.isRegularFile(LAYER), LAYER + " is built by ./mvnw package");
        long size = Files.size(LAYER);
        assertTrue(size < 10_000_000, "the FFmpeg layer is " + size + " bytes; docs/design.md asks for under 10 MB");
        Map<String, Path> libs = unpackNatives();
        for (String must : List.of("libavcodec.so.61", "libavformat.so.61", "libavutil.so.59", "libswscale.so.8",
                "libswresample.so.5", "libavfilter.so.10", "libavdevice.so.61", "libjniavcodec.so", "libjnijavacpp.so")) {
            assertTrue(libs.containsKey(must), must + " is in the layer: " + libs.keySet());
        }
        Set<String> defined = new TreeSet<>();
        Map<String, List<String>> imported = new HashMap<>();
        for (var lib : libs.entrySet()) {
            String header = readelf("-h", lib.getValue());
            assertTrue(header.contains("AArch64"), lib.getKey() + " is built for AArch64:\n" + header);
            for (String needed : matches(readelf("-d", lib.getValue()), "\\(NEEDED\\)\\s+Shared library: \\[([^\\]]+)\\]")) {
                assertTrue(libs.containsKey(needed) || LAMBDA_SYSTEM_LIBS.contains(needed),
                        lib.getKey() + " needs " + needed + ", which is neither in the layer nor in Lambda's runtime");
            }
            List<String> undefined = new ArrayList<>();
            for (String line : readelf("--dyn-syms -W", lib.getValue()).split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 8 || !f[0].endsWith(":")) {
                    continue;
                }
                String sym = f[7];
                if (f[6].equals("UND")) {
                    undefined.add(sym);
                    Matcher v = Pattern.compile("@(GLIBC|GLIBCXX|CXXABI|GCC)_([0-9.]+)").matcher(sym);
                    if (v.find()) {
                        assertTrue(compareVersions(v.group(2), LAMBDA_NEWEST.get(v.group(1))) <= 0,
                                lib.getKey() + " needs " + sym + ", newer than Lambda's Amazon Linux 2023 has");
                    }
                } else if (sym.contains("@")) {
                    defined.add(sym.replace("@@", "@"));
                }
            }
            imported.put(lib.getKey(), undefined);
        }
        // JavaCV's wrappers were built against JavaCV's own FFmpeg: every function they import from it
        // (versioned LIBAVCODEC_61 and so on) must be defined by ours, or a call would fail at run time.
        int checked = 0;
        for (var lib : imported.entrySet()) {
            if (!lib.getKey().startsWith("libjni")) {
                continue;
            }
            for (String sym : lib.getValue()) {
                if (sym.matches(".*@LIB(AV|SW)[A-Z]+_[0-9]+$")) {
                    checked++;
                    assertTrue(defined.contains(sym), lib.getKey() + " calls " + sym + ", which the layer's FFmpeg does not define");
                }
            }
        }
        assertTrue(checked > 500, "JavaCV's wrappers import FFmpeg's functions by version (" + checked + " checked)");
    }

    /** The committed FFmpeg build is what its script wrote: the layer carries exactly those files. */
    @Test
    void theLayerCarriesTheCommittedFfmpegBuild() throws Exception {
        Path build = ROOT.resolve("functions/media/native/linux-arm64");
        Map<String, Path> libs = unpackNatives();
        List<String> sums = Files.readAllLines(build.resolve("SHA256SUMS"));
        assertEquals(7, sums.size(), "seven FFmpeg libraries");
        for (String line : sums) {
            String[] f = line.split("\\s+");
            assertEquals(f[0], sha256(build.resolve(f[1])), f[1] + " matches SHA256SUMS (rebuild with native/build-linux-arm64.sh)");
            assertEquals(f[0], sha256(libs.get(f[1])), f[1] + " in the layer is the committed build");
        }
    }

    record Expected(String video, String audio) {
    }

    @Test
    void onArm64ItReadsEveryPromisedCodecAndWritesEveryFormat() throws Exception {
        Path qemu = onPath("qemu-aarch64");
        Path jre = Path.of(System.getenv().getOrDefault("FOLEY_ARM64_ROOT", System.getProperty("user.home") + "/.cache/foley/arm64-root"));
        Path java = jre.resolve("usr/lib/jvm/java-21-openjdk-arm64/bin/java");
        boolean have = qemu != null && Files.isExecutable(java);
        if ("1".equals(System.getenv("FOLEY_REQUIRE_ARM64")) && !have) {
            throw new AssertionError("FOLEY_REQUIRE_ARM64=1 but qemu-aarch64 or the arm64 JRE (" + java + ") is missing: "
                    + "run local/src/test/arm64/install-arm64-jre.sh");
        }
        assumeTrue(have, "qemu-user or the arm64 JRE is not installed (local/src/test/arm64/install-arm64-jre.sh): arm64 run skipped");

        // Clips in each family of codecs Foley promises, with a 440 Hz tone as their sound, made by this
        // machine's FFmpeg (JavaCV's x86_64 build, which has the encoders).
        Path clips = Files.createDirectories(dir.resolve("clips"));
        Map<String, Expected> expected = new LinkedHashMap<>();
        Map<String, String> fast = Map.of("deadline", "realtime", "cpu-used", "8");
        make(clips, expected, "vp9-opus.webm", new Clips.Codecs("webm", "libvpx-vp9", AV_PIX_FMT_YUV420P, fast, "libopus", 48_000), "vp9", "opus");
        make(clips, expected, "vp8-opus.webm", new Clips.Codecs("webm", "libvpx", AV_PIX_FMT_YUV420P, fast, "libopus", 48_000), "vp8", "opus");
        make(clips, expected, "av1-flac.mkv", new Clips.Codecs("matroska", "libaom-av1", AV_PIX_FMT_YUV420P, Map.of("cpu-used", "8"), "flac", 44_100), "av1", "flac");
        make(clips, expected, "mpeg4-mp3.avi", new Clips.Codecs("avi", "mpeg4", AV_PIX_FMT_YUV420P, Map.of(), "libmp3lame", 44_100), "mpeg4", "mp3");
        make(clips, expected, "mjpeg-pcm.mov", new Clips.Codecs("mov", "mjpeg", AV_PIX_FMT_YUVJ420P, Map.of(), "pcm_s16le", 44_100), "mjpeg", "pcm_s16le");
        make(clips, expected, "prores-pcm24.mov", new Clips.Codecs("mov", "prores_ks", AV_PIX_FMT_YUV422P10LE, Map.of(), "pcm_s24le", 48_000), "prores", "pcm_s24le");
        make(clips, expected, "mpeg2-mp2.ts", new Clips.Codecs("mpegts", "mpeg2video", AV_PIX_FMT_YUV420P, Map.of(), "mp2", 48_000), "mpeg2video", "mp2");
        make(clips, expected, "h264-ac3.mp4", new Clips.Codecs("mp4", "libopenh264", AV_PIX_FMT_YUV420P, Map.of(), "ac3", 48_000), "h264", "ac3");
        make(clips, expected, "h264-aac.mp4", Clips.Codecs.MP4, "h264", "aac");
        // A phone's portrait video: stored on its side, turned by its display matrix.
        Clips.rotated(clips.resolve("h264-aac.mp4"), clips.resolve("portrait.mp4"), 90);
        expected.put("portrait.mp4", new Expected("h264", "aac"));
        // Not promised: FFV1 (a lossless archive codec). This machine's FFmpeg reads it; Foley refuses it
        // everywhere, as the Lambda build, which has no decoder for it, must.
        Clips.bounce(clips.resolve("ffv1.mkv"), new Clips.Codecs("matroska", "ffv1", AV_PIX_FMT_YUV420P, Map.of(), "flac", 44_100),
                160, 120, 25, 2, new double[] {0.5, 1.5}, 0, 0);
        for (String f : List.of("bounce-4s.mp4", "truncated.mp4", "not-a-video.mp4", "hevc-2s.mov")) {
            Files.copy(ROOT.resolve("local/src/test/resources/media/" + f), clips.resolve(f));
        }
        expected.put("bounce-4s.mp4", new Expected("h264", null));
        expected.put("hevc-2s.mov", new Expected("hevc", "aac")); // no HEVC encoder here: made with Debian's ffmpeg

        List<String> cmd = new ArrayList<>(List.of(qemu.toString(), "-L", jre.toString(), java.toString(),
                "-Dorg.bytedeco.javacpp.cachedir=" + dir.resolve("javacpp"), "-cp", lambdaClassPath(), Arm64Smoke.class.getName(),
                dir.resolve("out").toString()));
        try (Stream<Path> files = Files.list(clips)) {
            files.sorted().forEach(f -> cmd.add(f.toString()));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "the arm64 run ends");
        Files.writeString(ROOT.resolve("local/target/arm64-smoke.txt"), output); // what it said, for a reader
        assertEquals(0, p.exitValue(), "the arm64 run succeeds:\n" + output);
        Map<String, List<String[]>> facts = new HashMap<>();
        for (String line : output.split("\n")) {
            String[] f = line.split("\t", -1);
            facts.computeIfAbsent(f[0], k -> new ArrayList<>()).add(f);
        }
        assertTrue(facts.containsKey("done"), output);

        String config = facts.get("configuration").get(0)[1];
        assertTrue(config.contains("--disable-everything") && config.contains("--enable-libopenh264"),
                "the FFmpeg loaded is the layer's own build, not JavaCV's stock one: " + config);
        assertEquals("", facts.get("missing").get(0)[1], "the arm64 build decodes, encodes and (de)muxes all Foley promises");

        for (var e : expected.entrySet()) {
            String[] probe = fact(facts, "probe", e.getKey(), output);
            assertEquals(e.getValue().video(), probe[2], e.getKey() + " picture");
            assertEquals(String.valueOf(e.getValue().audio()), probe[3], e.getKey() + " sound");
            double seconds = Double.parseDouble(probe[6]);
            assertEquals(e.getKey().equals("bounce-4s.mp4") ? 4.0 : 2.0, seconds, 0.1, e.getKey() + " length");
            List<String[]> windows = facts.getOrDefault("window", List.of()).stream().filter(f -> f[1].equals(e.getKey())).toList();
            assertEquals(2, windows.size(), e.getKey() + " is cut into its two windows:\n" + output);
            for (String[] w : windows) {
                assertEquals("h264", w[3], e.getKey() + " window " + w[2] + " is H.264 for the provider");
                assertEquals(seconds / 2 + 0.25, Double.parseDouble(w[5]), 0.1, e.getKey() + " window " + w[2] + " length");
            }
            // The split that finds the shots in its own decode: one shot, one window of the whole clip, upright.
            assertEquals("1", fact(facts, "scenes", e.getKey(), output)[2], e.getKey() + " is one shot");
            List<String[]> following = facts.getOrDefault("following", List.of()).stream().filter(f -> f[1].equals(e.getKey())).toList();
            assertEquals(1, following.size(), e.getKey() + " following its shots:\n" + output);
            assertEquals("h264", following.get(0)[3]);
            assertEquals(windows.get(0)[4], following.get(0)[4], e.getKey() + ": upright as the fixed windows");
            assertEquals(seconds, Double.parseDouble(following.get(0)[5]), 0.1, e.getKey() + " following: the whole clip");
            // The new sound on the picture, as MP4: the picture copied, or as H.264 where MP4 cannot carry it.
            String[] mux = fact(facts, "mux", e.getKey(), output);
            String picture = Set.of("vp8", "prores").contains(e.getValue().video()) ? "h264" : e.getValue().video();
            assertEquals(List.of(picture, "aac"), List.of(mux[2], mux[3]), e.getKey() + " with its new sound");
            assertEquals(seconds, Double.parseDouble(mux[4]), 0.06, e.getKey() + " with its new sound: as long as its picture");
            if (e.getValue().audio() != null) {
                String[] sound = fact(facts, "sound", e.getKey(), output);
                assertEquals(seconds * 44_100, Double.parseDouble(sound[2]), seconds * 44_100 * 0.05, e.getKey() + " sound length");
                // 0.3 of full scale: about -13.5 dB RMS; silence or garbage would not be near it.
                assertEquals(-13.5, Double.parseDouble(sound[3]), 2.0, e.getKey() + " sound level (the tone, decoded)");
            }
        }
        for (String[] w : facts.get("window")) {
            assertEquals(w[1].equals("portrait.mp4") ? "120x160" : w[1].equals("bounce-4s.mp4") ? "320x240" : "160x120", w[4],
                    w[1] + " window " + w[2] + ": upright, as the video is shown");
        }
        assertTrue(fact(facts, "error", "ffv1.mkv", output)[2].startsWith("its picture is coded as ffv1, which Foley does not read"),
                output);
        assertEquals("no frame could be decoded (a truncated or corrupt file)", fact(facts, "error", "truncated.mp4", output)[2]);
        assertEquals("not a media file FFmpeg can read", fact(facts, "error", "not-a-video.mp4", output)[2]);

        Map<String, String> codecs = Map.of("wav", "pcm_s16le", "flac", "flac", "mp3", "mp3", "m4a", "aac");
        for (var c : codecs.entrySet()) {
            String[] enc = fact(facts, "encode", c.getKey(), output);
            assertEquals(c.getValue(), enc[2], c.getKey() + " codec");
            assertEquals(2.0, Double.parseDouble(enc[3]), 0.06, c.getKey() + " length");
            assertEquals(88_200, Double.parseDouble(enc[4]), 88_200 * 0.03, c.getKey() + " decodes back to its samples");
        }
    }

    private static void make(Path dir, Map<String, Expected> expected, String name, Clips.Codecs codecs, String video, String audio)
            throws Exception {
        Clips.bounce(dir.resolve(name), codecs, 160, 120, 25, 2, new double[] {0.5, 1.5}, 440, 0.3);
        expected.put(name, new Expected(video, audio));
    }

    private static String[] fact(Map<String, List<String[]>> facts, String kind, String file, String output) {
        return facts.getOrDefault(kind, List.of()).stream().filter(f -> f[1].equals(file)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " line for " + file + ":\n" + output));
    }

    /** Lambda's class path for the media function: its zip (classes, lib/*.jar) and the layer's java/lib/*.jar; and the smoke class. */
    private String lambdaClassPath() throws IOException {
        Path task = dir.resolve("task");
        Path opt = dir.resolve("opt");
        HandlerStartup.unzip(FUNCTION, task);
        HandlerStartup.unzip(LAYER, opt);
        List<String> cp = new ArrayList<>(List.of(task.toString()));
        for (Path jars : List.of(task.resolve("lib"), opt.resolve("java/lib"))) {
            try (Stream<Path> s = Files.list(jars)) {
                s.sorted().forEach(j -> cp.add(j.toString()));
            }
        }
        Path smoke = dir.resolve("smoke");
        String cls = Arm64Smoke.class.getName().replace('.', '/') + ".class";
        Files.createDirectories(smoke.resolve(cls).getParent());
        try (var in = Arm64Smoke.class.getClassLoader().getResourceAsStream(cls)) {
            Files.copy(in, smoke.resolve(cls));
        }
        cp.add(smoke.toString());
        return String.join(":", cp);
    }

    private static String readelf(String options, Path file) throws Exception {
        Path tool = onPath("readelf");
        if (tool == null) {
            throw new AssertionError("readelf (binutils) is needed to read the layer's libraries");
        }
        List<String> cmd = new ArrayList<>(List.of(tool.toString()));
        cmd.addAll(List.of(options.split(" ")));
        cmd.add(file.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    private static List<String> matches(String text, String regex) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    static int compareVersions(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int c = Integer.compare(i < x.length ? Integer.parseInt(x[i]) : 0, i < y.length ? Integer.parseInt(y[i]) : 0);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private static String sha256(Path f) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
    }

    private static Path onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(d, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
