package dev.foley.local;

import dev.foley.aws.AwsClients;
import dev.foley.config.Settings;
import dev.foley.key.ApiKey;
import dev.foley.key.KeyLimits;
import dev.foley.key.KeyMaterial;
import dev.foley.store.ApiKeyStore;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;

/**
 * {@code ./foley}: local mode, one-shot generation, benchmarks and key management, on picocli.
 * Every command has {@code --help}; a bad option is named in the error (exit code 2), a failure
 * while running prints one line (exit code 1).
 */
@Command(name = "./foley", mixinStandardHelpOptions = true, version = "foley 0.1.0",
        description = "Foley: the MMAudio v2 video-to-audio API, in your AWS account or on this machine.",
        subcommands = {FoleyCli.Serve.class, FoleyCli.Generate.class, FoleyCli.Regenerate.class, FoleyCli.Check.class, FoleyCli.Bench.class, FoleyCli.Keys.class,
                CommandLine.HelpCommand.class},
        footer = {"", "./foley <command> --help shows each command's options."})
public final class FoleyCli implements Callable<Integer> {

    /** Where the commands write their output (the tests pass their own). */
    private final PrintStream out;
    /** The environment the commands read (provider keys and base URLs, FOLEY_*): the process's, or a test's. */
    private final Map<String, String> env;

    @Spec
    CommandSpec spec;

    private FoleyCli(PrintStream out, Map<String, String> env) {
        this.out = out;
        this.env = Map.copyOf(env);
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "a command is needed");
    }

    public static void main(String[] args) {
        int rc = run(args, System.out, System.err);
        if (rc != 0) {
            System.exit(rc);
        }
    }

    /** Runs one command line; returns its exit code: 0 done, 1 failed while running, 2 bad usage. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, System.getenv(), out, err);
    }

    /** The same, with {@code env} as the environment. */
    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        CommandLine cli = new CommandLine(new FoleyCli(out, env));
        cli.setUsageHelpWidth(120);
        cli.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cli.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cli.setParameterExceptionHandler((e, argv) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println("foley: " + e.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(e, c.getErr());
            c.getErr().println("(" + c.getCommandSpec().qualifiedName() + " --help shows the options)");
            c.getErr().flush();
            return 2;
        });
        cli.setExecutionExceptionHandler((e, c, parsed) -> {
            c.getErr().println("foley: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            c.getErr().flush();
            return 1;
        });
        return cli.execute(args);
    }

    /** A whole number within bounds, named in the error when it is not. */
    abstract static class Bounded implements CommandLine.ITypeConverter<Integer> {
        private final int min;
        private final int max;
        private final String what;

        Bounded(int min, int max, String what) {
            this.min = min;
            this.max = max;
            this.what = what;
        }

        @Override
        public Integer convert(String value) {
            try {
                int n = Integer.parseInt(value);
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new CommandLine.TypeConversionException("must be " + what + ", got '" + value + "'");
        }
    }

    /** A TCP port: 0 (any free one) to 65535. */
    static final class Port extends Bounded {
        Port() {
            super(0, 65535, "a port number (0 to 65535)");
        }
    }

    /** A count of at least one. */
    static final class Count extends Bounded {
        Count() {
            super(1, Integer.MAX_VALUE, "a whole number of at least 1");
        }
    }

    /** Dollars: 10, 0.25; stored as micro-dollars. */
    static final class Usd implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String usd) {
            try {
                java.math.BigDecimal d = new java.math.BigDecimal(usd);
                if (d.signum() >= 0) {
                    return d.movePointRight(6).setScale(0, java.math.RoundingMode.HALF_UP).longValueExact();
                }
            } catch (NumberFormatException | ArithmeticException e) {
                // reported below
            }
            throw new CommandLine.TypeConversionException("an amount of dollars like 10 or 0.25 is needed, got '" + usd + "'");
        }
    }

    /** The local state folder. */
    static final class DataDir {
        @Option(names = "--data", paramLabel = "DIR",
                description = "local state: moto's venv, logs, the dev key (default: .foley in the project)")
        Path dir;

        Path get() {
            return dir != null ? dir : home().resolve(".foley");
        }
    }

    /** The template the local table is made from. */
    static final class TemplateFile {
        @Option(names = "--template", paramLabel = "FILE", description = "SAM template (default: the project's template.yaml)")
        Path file;

        Path get(CommandSpec spec) {
            Path t = file != null ? file : home().resolve("template.yaml");
            if (!Files.isRegularFile(t)) {
                throw new ParameterException(spec.commandLine(),
                        "--template: cannot find " + t.toAbsolutePath() + "; run from the project folder or pass --template");
            }
            return t;
        }
    }

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = {"Run Foley locally: API, poller, completion and S3 trigger, on a local AWS endpoint.",
                    "The real API handler behind a local HTTP server, talking to moto_server (started for you) or --aws-endpoint."})
    static final class Serve implements Callable<Integer> {
        @CommandLine.ParentCommand
        FoleyCli root;
        @Spec
        CommandSpec spec;
        @Option(names = "--port", paramLabel = "N", defaultValue = "8080", converter = Port.class,
                description = "HTTP port (default ${DEFAULT-VALUE})")
        int port;
        @Mixin
        DataDir data;
        @Option(names = "--dev-key", paramLabel = "KEY", description = "use this fixed API key (default: one made once, kept in DIR)")
        String devKey;
        @Option(names = "--aws-port", paramLabel = "N", defaultValue = "4566", converter = Port.class,
                description = "port for the local AWS endpoint (default ${DEFAULT-VALUE})")
        int awsPort;
        @Option(names = "--aws-endpoint", paramLabel = "URL", description = "use a running endpoint (LocalStack, another moto) instead")
        URI awsEndpoint;
        @Option(names = "--strict-urls", description = "refuse loopback/private video and webhook URLs, as on AWS")
        boolean strictUrls;
        @Mixin
        TemplateFile template;
        @Option(names = "--table", paramLabel = "NAME", defaultValue = LocalFoley.LOCAL_TABLE,
                description = "table name (default ${DEFAULT-VALUE})")
        String table;
        @Option(names = "--json-logs", description = "print the JSON log lines (as on Lambda) instead of one readable line per phase change")
        boolean jsonLogs;

        @Override
        public Integer call() throws Exception {
            PrintStream out = root.out;
            Path dir = data.get();
            // JSON lines to DIR/foley.log always; on the terminal, readable lines (or the JSON with --json-logs).
            dev.foley.obs.Log.sinkTo(new TerminalLog(dir.resolve("foley.log"), out, jsonLogs));
            Path templateFile = template.get(spec);
            LocalAws aws = endpoint(Optional.ofNullable(awsEndpoint), dir, awsPort, "moto.log", out);
            MotoServer moto = aws.moto().orElse(null);
            URI endpoint = aws.endpoint();
            String key = devKey != null ? devKey : storedDevKey(dir);
            var o = new LocalFoley.Options(port, endpoint, templateFile, table, key, strictUrls, new HashMap<>(root.env), dir);
            LocalFoley foley;
            try {
                foley = LocalFoley.start(o);
            } catch (IOException | RuntimeException e) {
                if (moto != null) {
                    moto.close();
                }
                if (e instanceof java.net.BindException || e.getCause() instanceof java.net.BindException) {
                    throw new IOException("could not start on port " + port + ": " + e.getMessage()
                            + " (is another ./foley serve running? try --port)", e);
                }
                throw new IOException(e.getMessage(), e);
            }
            CountDownLatch stop = new CountDownLatch(1);
            var stopping = new java.util.concurrent.atomic.AtomicBoolean();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                stopping.set(true);
                foley.close();
                if (moto != null) {
                    moto.close();
                }
                stop.countDown();
            }));
            if (moto != null) {
                // Without its AWS endpoint serve can do nothing useful: say so once and stop.
                moto.onUnexpectedExit(() -> {
                    try {
                        Thread.sleep(1000); // Ctrl-C reaches moto too: give our own shutdown a moment to show itself
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (stopping.get()) {
                        return;
                    }
                    System.err.println("foley: the local AWS endpoint (moto_server) stopped; see " + dir.resolve("moto.log")
                            + ". Stopping; local data went with it.");
                    System.exit(1);
                });
            }
            out.printf("""

                    Foley is running (local mode).
                      API        %s
                      API key    %s
                      AWS        %s  (table %s)
                      provider   %s

                      uploads    s3://%s (put a video under inputs/ with x-amz-meta-prompt to generate)
                      log        %s (JSON lines, as on Lambda; below: one line per phase change)

                    Try it:
                      curl -s %s/api/v3/wavespeed-ai/mmaudio-v2/text-to-audio \\
                        -H "Authorization: Bearer %s" -H "Content-Type: application/json" \\
                        -d '{"prompt":"rain on a tin roof","duration":5}'

                      aws --endpoint-url %s s3 cp clip.mp4 s3://%s/inputs/clip.mp4 --metadata prompt="rain on a tin roof"
                      (the result lands at s3://%s/outputs/clip.mp4, with outputs/clip.mp4.result.json)

                    Ctrl-C stops it (local data lives in memory and goes with it).
                    """, foley.baseUrl(), foley.apiKey(), endpoint, o.table(),
                    String.join(" then ", foley.providers().all().stream().map(p -> p.name()).toList()),
                    foley.settings().uploadsBucket(), dir.resolve("foley.log"), foley.baseUrl(), foley.apiKey(), endpoint,
                    foley.settings().uploadsBucket(),
                    foley.settings().uploadsBucket());
            out.flush();
            stop.await();
            return 0;
        }
    }

    /** Where each remote provider's key comes from, as its own SDKs read it. */
    static final Map<String, String> PROVIDER_KEYS = Map.of("wavespeed", "WAVESPEED_API_KEY", "fal", "FAL_KEY",
            "replicate", "REPLICATE_API_TOKEN");

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = {"Add a soundtrack to a clip, locally, in one go (no --video: text-to-audio).",
                    "The values go to the API as given: a bad one is refused there, naming the field."})
    static final class Generate implements Callable<Integer> {
        @CommandLine.ParentCommand
        FoleyCli root;
        @Spec
        CommandSpec spec;
        @Option(names = "--video", paramLabel = "PATH_OR_URL", description = "a local file or an http(s) URL")
        String video;
        @Option(names = "--prompt", paramLabel = "TEXT", description = "what it should sound like")
        String prompt;
        @Option(names = "--negative-prompt", paramLabel = "TEXT", description = "what to avoid")
        String negativePrompt;
        @Option(names = "--duration", paramLabel = "S", description = "seconds of audio (1 to 30)")
        String duration;
        @Option(names = "--seed", paramLabel = "N")
        String seed;
        @Option(names = "--guidance", paramLabel = "X", description = "guidance scale")
        String guidance;
        @Option(names = "--steps", paramLabel = "N", description = "inference steps")
        String steps;
        @Option(names = "--mask-away-clip", description = "ignore the clip's image features")
        boolean maskAwayClip;
        @Option(names = "--original-audio", paramLabel = "MODE", description = "the clip's own sound: replace (default), mix or duck")
        String originalAudio;
        @Option(names = "--format", paramLabel = "FMT", description = "mp4 (video), wav, flac, mp3 or m4a")
        String format;
        @Option(names = "--long", description = "use the long model (chosen by itself for a local clip over 30 s)")
        boolean longModel;
        @Option(names = "--window-seconds", paramLabel = "S", description = "long model: seconds per window (4 to 10, default 8)")
        String windowSeconds;
        @Option(names = "--overlap-seconds", paramLabel = "S", description = "long model: overlap of windows (0.5 to 2, default 1)")
        String overlapSeconds;
        @Option(names = "--out", paramLabel = "FILE", description = "where to write it (default <clip>.foley.<format>)")
        Path outFile;
        @Option(names = "--loudness", paramLabel = "LUFS", description = "bring the result to this loudness (-30 to -5; -14 streaming,"
                + " -23 broadcast); measured after, in the sound check")
        String loudness;
        @Option(names = "--true-peak", paramLabel = "DBTP", description = "the true-peak ceiling under --loudness (-9 to 0, default -1)")
        String truePeak;
        @Option(names = "--samples", paramLabel = "N", description = "takes (1 to 4): each checked; the best is written, all are listed")
        String samples;
        @Option(names = "--model", paramLabel = "ID", description = "the model (default wavespeed-ai/mmaudio-v2; ./foley models lists them): "
                + "wavespeed-ai/hunyuan-video-foley, wavespeed-ai/think-sound, kwaivgi/kling-video-to-audio, mirelo-ai/sfx-v1/video-to-audio")
        String model;
        @Option(names = "--param", paramLabel = "NAME=VALUE", description = "a field of the model's own, as its API names it "
                + "(repeatable), e.g. --param bgm_prompt=\"tense strings\" --param asmr_mode=true")
        Map<String, String> params = new java.util.LinkedHashMap<>();
        @Option(names = "--segment", paramLabel = "START:END=PROMPT", description = "a prompt for a stretch of time, in seconds "
                + "(repeatable; long model): --segment 0:12=\"rain on a tin roof\" --segment 12:30=\"a busy kitchen\"")
        java.util.List<String> segments = new java.util.ArrayList<>();
        @Option(names = "--no-scene-cuts", description = "long model: fixed windows, not following the video's shot cuts")
        boolean noSceneCuts;
        @Option(names = "--provider", paramLabel = "NAME",
                description = "local (default: the offline generator), or the real model at wavespeed, fal or replicate "
                        + "(key from WAVESPEED_API_KEY, FAL_KEY or REPLICATE_API_TOKEN; a local clip is uploaded to it first)")
        String provider;
        @Mixin
        DataDir data;
        @Option(names = "--aws-endpoint", paramLabel = "URL", description = "use a running AWS endpoint instead of starting moto")
        URI awsEndpoint;
        @Mixin
        TemplateFile template;

        @Override
        public Integer call() throws Exception {
            if (video != null && !video.matches("(?i)https?://.*") && !Files.isRegularFile(Path.of(video))) {
                throw new ParameterException(spec.commandLine(), "--video: no such file: " + video); // before starting anything
            }
            for (String g : segments) {
                if (!dev.foley.local.Generate.SEGMENT.matcher(g).matches()) { // said before the local stack starts
                    throw new ParameterException(spec.commandLine(), dev.foley.local.Generate.SEGMENT_FORM + "; got '" + g + "'");
                }
            }
            Map<String, String> env = new HashMap<>(root.env);
            if (provider != null) {
                String name = provider.strip().toLowerCase(java.util.Locale.ROOT);
                String keyVar = PROVIDER_KEYS.get(name);
                if (keyVar == null && !name.equals("local")) {
                    throw new ParameterException(spec.commandLine(), "--provider: must be local, wavespeed, fal or replicate, got '"
                            + provider + "'");
                }
                if (keyVar != null && (env.get(keyVar) == null || env.get(keyVar).isBlank())) {
                    throw new ParameterException(spec.commandLine(), "--provider " + name + " needs " + keyVar
                            + " in the environment: your " + name + " API key (export " + keyVar + "=...)");
                }
                env.put("FOLEY_PROVIDER", name);
                env.remove("FOLEY_PROVIDER_FALLBACK"); // the one asked for, nothing else
            }
            Path templateFile = template.get(spec);
            PrintStream out = root.out;
            Path dir = data.get();
            dev.foley.obs.Log.sinkTo(new TerminalLog(dir.resolve("foley.log"), out, false, false));
            LocalAws aws = endpoint(Optional.ofNullable(awsEndpoint), dir, LocalFoley.freePort(), "moto-generate.log", out);
            MotoServer moto = aws.moto().orElse(null);
            env.putIfAbsent("FOLEY_OUTPUTS_BUCKET", "foley-outputs");
            var o = new LocalFoley.Options(0, aws.endpoint(), templateFile, "foley-generate", KeyMaterial.newKey(), false, env, dir);
            try (LocalFoley foley = LocalFoley.start(o)) {
                out.println("local stack up (provider " + foley.providers().primary().name() + ")");
                return dev.foley.local.Generate.run(foley, new dev.foley.local.Generate.Request(video, prompt, negativePrompt,
                        duration, seed, guidance, steps, maskAwayClip, outFile, originalAudio, format, longModel, windowSeconds,
                        overlapSeconds, loudness, truePeak, samples, model, params, segments, noSceneCuts), out);
            } finally {
                if (moto != null) {
                    moto.close();
                }
            }
        }
    }

    enum BenchKind { api, pipeline, startup, jobs, media, check, scenes }

    @Command(name = "regenerate", mixinStandardHelpOptions = true,
            description = {"Redo a stretch of a completed prediction of a running Foley (./foley serve, or a deployed one with --url/--key):",
                    "a new prediction redoes FROM-TO, spliced into the rest, charged for the stretch only; the result is written whole."})
    static final class Regenerate implements Callable<Integer> {
        @CommandLine.ParentCommand
        FoleyCli root;
        @Spec
        CommandSpec spec;
        @CommandLine.Parameters(index = "0", paramLabel = "ID", description = "the prediction whose result is redone")
        String id;
        @Option(names = "--from", required = true, paramLabel = "S", description = "where the stretch starts, seconds into the result")
        String from;
        @Option(names = "--to", required = true, paramLabel = "S", description = "where it ends")
        String to;
        @Option(names = "--prompt", paramLabel = "TEXT", description = "what the stretch should sound like (default: as before)")
        String prompt;
        @Option(names = "--negative-prompt", paramLabel = "TEXT")
        String negativePrompt;
        @Option(names = "--seed", paramLabel = "N", description = "a seed for the new take (default: the prediction's)")
        String seed;
        @Option(names = "--samples", paramLabel = "N", description = "takes of each window of the stretch (1 to 4), the best kept")
        String samples;
        @Option(names = "--url", paramLabel = "URL", defaultValue = "http://localhost:8080",
                description = "the Foley API (default ${DEFAULT-VALUE}: ./foley serve)")
        URI url;
        @Option(names = "--key", paramLabel = "KEY", description = "the API key (default: ./foley serve's dev key in the data dir)")
        String key;
        @Option(names = "--out", paramLabel = "FILE", description = "where to write the result (default <regenerate id>.foley.<format>)")
        Path outFile;
        @Mixin
        DataDir data;

        @Override
        public Integer call() throws Exception {
            PrintStream out = root.out;
            String apiKey = key != null ? key : storedDevKey(data.get());
            var body = dev.foley.json.Json.object();
            body.set("start", number(from));
            body.set("end", number(to));
            if (prompt != null) {
                body.put("prompt", prompt);
            }
            if (negativePrompt != null) {
                body.put("negative_prompt", negativePrompt);
            }
            if (seed != null) {
                body.set("seed", number(seed));
            }
            if (samples != null) {
                body.set("num_samples", number(samples));
            }
            var http = java.net.http.HttpClient.newHttpClient();
            java.net.http.HttpResponse<String> r;
            try {
                r = http.send(java.net.http.HttpRequest.newBuilder(url.resolve("/api/v3/predictions/"
                        + java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20") + "/regenerate"))
                        .header("Authorization", "Bearer " + apiKey).header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(dev.foley.json.Json.write(body))).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
            } catch (java.net.ConnectException e) {
                out.println("no Foley answers at " + url + " (start one with ./foley serve, or give --url and --key)");
                return 1;
            }
            var env = dev.foley.json.Json.parse(r.body());
            if (r.statusCode() != 200) {
                out.println("refused (" + r.statusCode() + "): " + env.path("message").asText());
                return 2;
            }
            var d = env.get("data");
            out.println("prediction " + d.get("id").asText() + " redoes " + from + "-" + to + " s of " + id);
            Path target = outFile;
            return dev.foley.local.Generate.follow(http, apiKey, d, target, d.get("id").asText(), true, out);
        }

        private static com.fasterxml.jackson.databind.JsonNode number(String raw) {
            try {
                var v = dev.foley.json.Json.parse(raw);
                return v.isNumber() ? v : dev.foley.json.Json.text(raw);
            } catch (RuntimeException notJson) {
                return dev.foley.json.Json.text(raw);
            }
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"The sound check of any file: sync against the picture, loudness (EBU R128), flags.",
                    "FILE is a video with its sound, or a sound file with --video (the picture to check it against).",
                    "Sync: the lag that best lines the sound's onsets up with the picture's motion onsets (+ = the sound",
                    "comes late); confidence 0..1, " + "clear from 0.5, weak from 0.2, under that it cannot tell."})
    static final class Check implements Callable<Integer> {
        @CommandLine.ParentCommand
        FoleyCli root;
        @Spec
        CommandSpec spec;
        @CommandLine.Parameters(paramLabel = "FILE", description = "a video or sound file")
        Path file;
        @Option(names = "--video", paramLabel = "VIDEO", description = "the picture the sound belongs to (default: FILE's own)")
        Path video;
        @Option(names = "--json", description = "the report as JSON (the API's data.quality shape)")
        boolean json;

        @Override
        public Integer call() throws Exception {
            for (Path p : video == null ? List.of(file) : List.of(file, video)) {
                if (!Files.isRegularFile(p)) {
                    throw new ParameterException(spec.commandLine(), p + ": no such file");
                }
            }
            dev.foley.media.Ffmpeg.Probe probe;
            try {
                probe = dev.foley.media.Ffmpeg.probe(file);
            } catch (dev.foley.media.Ffmpeg.UnreadableException e) {
                throw new ParameterException(spec.commandLine(), file + ": " + e.getMessage());
            }
            if (!probe.hasAudio()) {
                throw new ParameterException(spec.commandLine(), file + ": has no sound track to check");
            }
            Optional<Path> picture = video != null ? Optional.of(video) : probe.hasVideo() ? Optional.of(file) : Optional.empty();
            dev.foley.media.SoundCheck c;
            try {
                c = dev.foley.media.SoundCheck.of(file, picture);
            } catch (dev.foley.media.Ffmpeg.UnreadableException e) {
                throw new ParameterException(spec.commandLine(), (video != null ? video : file) + ": " + e.getMessage());
            }
            if (json) {
                root.out.println(dev.foley.json.Json.write(dev.foley.view.Quality.json(c.sync() == null ? null
                        : new dev.foley.view.Quality.Sync(c.sync().offsetMs(), c.sync().confidence(), c.sync().reason()),
                        c.loudness().measured() ? c.loudness().integratedLufs() : null, c.loudness().truePeakDbtp(),
                        c.loudness().rangeLu(), c.flags())));
                return 0;
            }
            root.out.printf("file       %s (%.1f s%s)%n", file.getFileName(), probe.seconds(), probe.hasVideo() ? ", with picture" : "");
            if (c.sync() == null) {
                root.out.println("sync       not checked: no picture (give one with --video)");
            } else if (c.sync().offsetMs() == null) {
                root.out.println("sync       cannot tell: " + c.sync().reason().substring(c.sync().reason().indexOf(':') + 2));
            } else {
                double ms = c.sync().offsetMs();
                root.out.printf("sync       %+.0f ms, confidence %.2f (%s): the sound comes %s%n", ms, c.sync().confidence(),
                        dev.foley.media.SoundCheck.confidenceWords(c.sync().confidence()),
                        Math.abs(ms) < 1 ? "with the picture" : String.format("%.0f ms %s the picture", Math.abs(ms), ms > 0 ? "after" : "before"));
            }
            var l = c.loudness();
            root.out.printf("loudness   %s integrated, true peak %s, range %.1f LU%n",
                    l.measured() ? String.format("%.1f LUFS", l.integratedLufs()) : "not measurable (silent or under 0.4 s)",
                    Double.isInfinite(l.truePeakDbtp()) ? "-inf dBTP" : String.format("%.1f dBTP", l.truePeakDbtp()), l.rangeLu());
            root.out.println("flags      " + (c.flags().isEmpty() ? "none" : String.join(", ", c.flags())));
            return 0;
        }
    }

    @Command(name = "bench", mixinStandardHelpOptions = true,
            description = {"Benchmarks: api (default), startup, pipeline, jobs, media, check, scenes; figures for BENCHMARKS.md.",
                    "Each runs against a local DynamoDB/S3 (moto), whose own rate is measured in the same run:",
                    "  api       submit/result latency through the API handler, and a fresh JVM's first request",
                    "  startup   each function's zip in a fresh JVM: size, first answer, classes loaded",
                    "  pipeline  idle poller run, 2,000 due predictions, completion-to-webhook latency, heap while copying 500 MB",
                    "  jobs      provider jobs per prediction at each provider latency, the poller racing the API;",
                    "            then chaos: outputs a CDN serves 3 s late, cancels during a 90 s provider outage",
                    "  check     the sound check's time and heap on an 8 s and a 10-minute clip"})
    static final class Bench implements Callable<Integer> {
        @CommandLine.ParentCommand
        FoleyCli root;
        @Parameters(index = "0", arity = "0..1", defaultValue = "api", paramLabel = "WHICH",
                description = "api (default), startup, pipeline, jobs, media or check")
        BenchKind which;
        @Option(names = "--n", paramLabel = "N", defaultValue = "2000", converter = Count.class,
                description = "requests per phase for bench api (default ${DEFAULT-VALUE})")
        int n;
        @Mixin
        DataDir data;
        @Option(names = "--aws-endpoint", paramLabel = "URL", description = "use a running AWS endpoint instead of starting moto")
        URI awsEndpoint;

        @Override
        public Integer call() throws Exception {
            PrintStream out = root.out;
            Path dir = data.get();
            // Every log line and metric written as a Lambda function writes them (to DIR/bench.log), so their cost is measured.
            java.nio.file.Files.createDirectories(dir);
            dev.foley.obs.Log.sinkTo(dev.foley.obs.Log.fileSink(dir.resolve("bench.log")));
            switch (which) {
                case api -> dev.foley.local.bench.ApiBench.run(dir, awsEndpoint, n, out);
                case pipeline -> dev.foley.local.bench.PipelineBench.run(dir, awsEndpoint, out);
                case startup -> dev.foley.local.bench.PipelineBench.withMoto(dir, awsEndpoint, out,
                        e -> dev.foley.local.bench.HandlerStartup.run(e, out));
                case jobs -> dev.foley.local.bench.JobsBench.run(dir, awsEndpoint, out);
                case media -> dev.foley.local.bench.MediaBench.run(dir, awsEndpoint, out);
                case check -> dev.foley.local.bench.CheckBench.run(dir, awsEndpoint, out);
                case scenes -> dev.foley.local.bench.ScenesBench.run(dir, out);
                default -> throw new IllegalStateException(which.name());
            }
            return 0;
        }
    }

    /** Where the keys live: a running local endpoint (default) or real AWS. */
    static final class KeyTable {
        @ArgGroup(exclusive = true)
        Where where = new Where();
        @Option(names = "--table", paramLabel = "NAME",
                description = "the table (default " + LocalFoley.LOCAL_TABLE + "; on AWS the stack's TableName output)")
        String table;
        @Option(names = "--region", paramLabel = "REGION", description = "AWS region with --aws (default: AWS_REGION)")
        String region;

        static final class Where {
            @Option(names = "--aws-endpoint", paramLabel = "URL",
                    description = "endpoint of the table (default http://127.0.0.1:4566, a running serve)")
            URI endpoint;
            @Option(names = "--aws-port", paramLabel = "N", converter = Port.class, description = "a local endpoint's port (default 4566)")
            Integer port;
            @Option(names = "--aws", description = "use real AWS (default credentials and region)")
            boolean aws;
        }

        <T> T with(CommandSpec spec, KeyWork<T> work) throws Exception {
            Map<String, String> env = new HashMap<>(System.getenv());
            env.put("FOLEY_TABLE", table != null ? table : where.aws ? env.getOrDefault("FOLEY_TABLE", "") : LocalFoley.LOCAL_TABLE);
            if (env.get("FOLEY_TABLE").isBlank()) {
                throw new ParameterException(spec.commandLine(), "--table is needed with --aws (the stack's TableName output)");
            }
            if (region != null) {
                env.put("AWS_REGION", region);
            }
            AwsClients clients;
            if (where.aws) {
                clients = new AwsClients(Settings.fromEnv(env), DefaultCredentialsProvider.builder().build());
            } else {
                env.put("AWS_ENDPOINT_URL", where.endpoint != null ? where.endpoint.toString()
                        : "http://127.0.0.1:" + (where.port != null ? where.port : 4566));
                clients = LocalFoley.clients(Settings.fromEnv(env));
            }
            Settings s = Settings.fromEnv(env);
            try (var dynamo = clients.dynamo()) {
                return work.run(new ApiKeyStore(dynamo, s.table(), Clock.systemUTC()), s);
            } catch (software.amazon.awssdk.core.exception.SdkClientException | dev.foley.store.StoreUnavailableException e) {
                throw new IOException("cannot reach the table at " + env.getOrDefault("AWS_ENDPOINT_URL", "AWS")
                        + " (is ./foley serve running?): " + e.getMessage(), e);
            }
        }
    }

    interface KeyWork<T> {
        T run(ApiKeyStore keys, Settings settings) throws Exception;
    }

    /** A keys subcommand: its table, then its work on the key store. */
    abstract static class KeyCommand implements Callable<Integer> {
        @CommandLine.ParentCommand
        Keys keys;
        @Spec
        CommandSpec spec;
        @Mixin
        KeyTable table;

        @Override
        public final Integer call() throws Exception {
            check();
            return table.with(spec, (store, s) -> run(store, s, keys.root.out));
        }

        /** Usage checks picocli's annotations cannot state, before anything is reached. */
        void check() {
        }

        abstract int run(ApiKeyStore store, Settings s, PrintStream out) throws Exception;
    }

    @Command(name = "keys", mixinStandardHelpOptions = true, description = "API keys: create, list, disable, credit.",
            subcommands = {Keys.Create.class, Keys.ListKeys.class, Keys.Disable.class, Keys.Credit.class, Keys.Limits.class})
    static final class Keys implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @CommandLine.ParentCommand
        FoleyCli root;

        @Override
        public Integer call() {
            throw new ParameterException(spec.commandLine(), "keys needs a subcommand: create, list, disable, credit or limits");
        }

        @Command(name = "create", mixinStandardHelpOptions = true, description = "Make an API key (printed once), with its webhook secret.")
        static final class Create extends KeyCommand {
            @Option(names = "--name", paramLabel = "NAME", required = true, description = "who or what the key is for")
            String name;
            @Option(names = "--webhook-scheme", paramLabel = "SCHEME", defaultValue = ApiKey.WAVESPEED,
                    description = "how its webhooks are signed: wavespeed or standard (default ${DEFAULT-VALUE})")
            String scheme;
            @Option(names = "--balance-usd", paramLabel = "USD", converter = Usd.class,
                    description = "make it prepaid, with this balance")
            Long balance;
            @Option(names = "--rate", paramLabel = "RATE", description = "its requests: 5/s, 300/min or none (default: FOLEY_KEY_RATE)")
            String rate;
            @Option(names = "--max-in-flight", paramLabel = "N", description = "its predictions at work at once, or none (default: FOLEY_KEY_MAX_IN_FLIGHT)")
            String maxInFlight;
            KeyLimits limits;

            @Override
            void check() {
                limits = limitsFrom(spec, KeyLimits.DEFAULTS, rate, maxInFlight);
                if (name.isBlank()) {
                    throw new ParameterException(spec.commandLine(), "--name must not be blank");
                }
                if (!scheme.equals(ApiKey.WAVESPEED) && !scheme.equals(ApiKey.STANDARD)) {
                    throw new ParameterException(spec.commandLine(), "--webhook-scheme must be wavespeed or standard, got '" + scheme + "'");
                }
            }

            @Override
            int run(ApiKeyStore store, Settings s, PrintStream out) throws Exception {
                var k = store.create(name, KeyMaterial.newKey(), scheme, balance, limits);
                out.println("key id          " + k.key().keyId());
                out.println("name            " + k.key().name());
                out.println("API key         " + k.plainKey());
                out.println("webhook secret  " + k.key().webhookSecret() + "  (scheme " + scheme + ")");
                if (balance != null) {
                    out.println("prepaid balance $" + dollars(balance));
                }
                out.println("limits          rate " + limits.rateText() + ", in flight " + limits.maxInFlightText());
                out.println("(the key is shown once: Foley keeps only its SHA-256)");
                return 0;
            }
        }

        @Command(name = "list", mixinStandardHelpOptions = true, description = "List keys (ids, names, state; never the keys).")
        static final class ListKeys extends KeyCommand {
            @Override
            int run(ApiKeyStore store, Settings s, PrintStream out) throws Exception {
                out.printf("%-22s %-9s %-24s %-9s %-9s %s%n", "KEY ID", "STATE", "CREATED", "RATE", "IN FLIGHT", "NAME");
                for (ApiKey k : store.list()) {
                    out.printf("%-22s %-9s %-24s %-9s %-9s %s%n", k.keyId(), k.disabled() ? "disabled" : "active", k.createdAt(),
                            k.limits().rateText(), k.limits().maxInFlightText(), k.name());
                }
                return 0;
            }
        }

        @Command(name = "disable", mixinStandardHelpOptions = true, description = "Disable a key.")
        static final class Disable extends KeyCommand {
            @Parameters(index = "0", paramLabel = "KEY_ID", description = "the key's id (see keys list)")
            String id;

            @Override
            int run(ApiKeyStore store, Settings s, PrintStream out) throws Exception {
                if (!store.disable(id)) {
                    out.println("no key with id " + id);
                    return 1;
                }
                out.println("disabled " + id + " (cached copies expire within " + s.keyCacheTtl().toSeconds() + " s)");
                return 0;
            }
        }

        @Command(name = "limits", mixinStandardHelpOptions = true,
                description = "Change a key's request rate and predictions in flight (\"default\" follows the settings again).")
        static final class Limits extends KeyCommand {
            @Parameters(index = "0", paramLabel = "KEY_ID", description = "the key's id (see keys list)")
            String id;
            @Option(names = "--rate", paramLabel = "RATE", description = "5/s, 300/min, none or default")
            String rate;
            @Option(names = "--max-in-flight", paramLabel = "N", description = "a number, none or default")
            String maxInFlight;

            @Override
            void check() {
                if (rate == null && maxInFlight == null) {
                    throw new ParameterException(spec.commandLine(), "give --rate, --max-in-flight or both");
                }
            }

            @Override
            int run(ApiKeyStore store, Settings s, PrintStream out) throws Exception {
                Optional<ApiKey> key = store.byId(id);
                if (key.isEmpty()) {
                    out.println("no key with id " + id);
                    return 1;
                }
                KeyLimits l = limitsFrom(spec, key.get().limits(), rate, maxInFlight);
                store.setLimits(id, l);
                out.println(id + ": rate " + l.rateText() + ", in flight " + l.maxInFlightText()
                        + " (cached copies follow within " + s.keyCacheTtl().toSeconds() + " s)");
                return 0;
            }
        }

        @Command(name = "credit", mixinStandardHelpOptions = true, description = "Add prepaid credit to a key.")
        static final class Credit extends KeyCommand {
            @Parameters(index = "0", paramLabel = "KEY_ID", description = "the key's id (see keys list)")
            String id;
            @Option(names = "--usd", paramLabel = "USD", required = true, converter = Usd.class, description = "dollars to add")
            long usd;

            @Override
            int run(ApiKeyStore store, Settings s, PrintStream out) throws Exception {
                if (!store.credit(id, usd)) {
                    out.println("no key with id " + id);
                    return 1;
                }
                out.println("credited $" + dollars(usd) + " to " + id);
                return 0;
            }
        }
    }

    /** The limits {@code base} becomes with these options (each may be null: unchanged; "default": the settings' again). */
    static KeyLimits limitsFrom(CommandSpec spec, KeyLimits base, String rate, String maxInFlight) {
        KeyLimits l = base;
        try {
            if (rate != null) {
                l = rate.strip().equalsIgnoreCase("default") ? new KeyLimits(null, 1, l.maxInFlight()) : KeyLimits.withRate(l, rate);
            }
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--rate: " + e.getMessage());
        }
        try {
            if (maxInFlight != null) {
                l = maxInFlight.strip().equalsIgnoreCase("default") ? new KeyLimits(l.rate(), l.windowSeconds(), null)
                        : KeyLimits.withMaxInFlight(l, maxInFlight);
            }
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--max-in-flight: " + e.getMessage());
        }
        return l;
    }

    static String dollars(long microUsd) {
        return java.math.BigDecimal.valueOf(microUsd, 6).stripTrailingZeros().toPlainString();
    }

    /** The local AWS endpoint: the one given, or a moto_server started here. */
    static LocalAws endpoint(Optional<URI> given, Path data, int port, String log, PrintStream out) throws Exception {
        if (given.isEmpty()) {
            out.println("starting the local AWS endpoint (moto_server) on 127.0.0.1:" + port + " ...");
        }
        return LocalAws.open(given, data, port, data.resolve(log), out);
    }

    /** The project folder: FOLEY_HOME (set by ./foley), else the current directory. */
    public static Path home() {
        String h = System.getenv("FOLEY_HOME");
        return h == null || h.isBlank() ? Path.of("") : Path.of(h);
    }

    /** Local mode's dev key: made once, kept in the data dir so scripts can rely on it. */
    private static String storedDevKey(Path data) throws IOException {
        Path f = data.resolve("dev-key");
        if (Files.isRegularFile(f)) {
            String k = Files.readString(f).strip();
            if (!k.isEmpty()) {
                return k;
            }
        }
        Files.createDirectories(data);
        String k = KeyMaterial.newKey();
        Files.writeString(f, k + "\n");
        return k;
    }
}
