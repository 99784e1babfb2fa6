package dev.foley.local;

import dev.foley.key.ApiKey;
import dev.foley.key.KeyMaterial;
import dev.foley.config.Settings;
import dev.foley.store.ApiKeyStore;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import dev.foley.aws.AwsClients;

/** {@code ./foley}: local mode and key management. */
public final class FoleyCli {

    static final String USAGE = """
            usage: ./foley <command> [options]

              generate --video PATH_OR_URL --prompt "..."   add a soundtrack to a clip, locally, in one go
                        --duration S, --negative-prompt "...", --seed N, --guidance X, --steps N,
                        --mask-away-clip, --out FILE (default <clip>.foley.mp4); no --video: text-to-audio

              serve   run Foley locally: the real API handler behind a local HTTP server,
                      backed by a local AWS endpoint (moto_server, started for you)
                        --port N            HTTP port (default 8080)
                        --data DIR          local state: moto's venv, logs, the dev key (default .foley)
                        --dev-key KEY       use this fixed API key (default: one made once, kept in DIR)
                        --aws-port N        port for the local AWS endpoint (default 4566)
                        --aws-endpoint URL  use a running endpoint (LocalStack, another moto) instead
                        --strict-urls       refuse loopback/private video and webhook URLs, as on AWS

              bench [api] [--n 2000]    submit/result latency through the handler on a local
                                        DynamoDB (moto), and a fresh JVM's first request
              bench startup             each function's zip in a fresh JVM: size, first answer, classes
              bench pipeline            idle poller run, 2,000 due predictions, completion-to-webhook
                                        latency (push and poll), heap while copying 500 MB
              bench jobs                provider jobs per prediction at each provider latency, with the
                                        poller racing the API (polled and pushed)

              keys create --name NAME   make an API key (printed once), with its webhook secret
                        [--webhook-scheme wavespeed|standard] [--balance-usd N (prepaid)]
              keys list                 list keys (ids, names, state; never the keys)
              keys disable ID           disable a key
              keys credit ID --usd N    add prepaid credit
                        --aws-endpoint URL  endpoint of the table (default http://127.0.0.1:4566, a running serve)
                        --aws               use real AWS (default credentials and region) instead
                        --table NAME        table (default foley-local; on AWS the stack's TableName output)
                        --region REGION     AWS region with --aws (default: AWS_REGION)
            """;

    private FoleyCli() {
    }

    public static void main(String[] args) {
        int rc;
        try {
            rc = run(args, System.out);
        } catch (UsageException e) {
            System.err.println("foley: " + e.getMessage());
            System.err.println();
            System.err.print(USAGE);
            rc = 2;
        } catch (Exception e) {
            System.err.println("foley: " + e.getMessage());
            rc = 1;
        }
        if (rc != 0) {
            System.exit(rc);
        }
    }

    static int run(String[] argv, PrintStream out) throws Exception {
        if (argv.length == 0 || argv[0].equals("help") || argv[0].equals("--help") || argv[0].equals("-h")) {
            out.print(USAGE);
            return 0;
        }
        Args a = Args.parse(List.of(argv).subList(1, argv.length));
        a.allowOnly(switch (argv[0]) {
            case "serve" -> java.util.Set.of("port", "data", "dev-key", "aws-port", "aws-endpoint", "strict-urls", "template", "table");
            case "keys" -> java.util.Set.of("name", "aws-endpoint", "aws-port", "aws", "table", "region", "webhook-scheme",
                    "balance-usd", "usd");
            case "bench" -> java.util.Set.of("n", "data", "aws-endpoint");
            case "generate" -> java.util.Set.of("video", "prompt", "negative-prompt", "duration", "seed", "guidance", "steps",
                    "mask-away-clip", "out", "data", "aws-endpoint", "template");
            default -> java.util.Set.of();
        });
        return switch (argv[0]) {
            case "serve" -> serve(a, out);
            case "generate" -> generate(a, out);
            case "keys" -> keys(a, out);
            case "bench" -> {
                URI endpoint = a.has("aws-endpoint") ? URI.create(a.opt("aws-endpoint", null)) : null;
                String which = a.positional().isEmpty() ? "api" : a.positional().get(0);
                switch (which) {
                    case "api" -> dev.foley.local.bench.ApiBench.run(dataDir(a), endpoint, a.intOpt("n", 2000), out);
                    case "pipeline" -> dev.foley.local.bench.PipelineBench.run(dataDir(a), endpoint, out);
                    case "startup" -> dev.foley.local.bench.PipelineBench.withMoto(dataDir(a), endpoint, out,
                            e -> dev.foley.local.bench.HandlerStartup.run(e, out));
                    case "jobs" -> dev.foley.local.bench.JobsBench.run(dataDir(a), endpoint, out);
                    default -> throw new UsageException("bench takes api, pipeline, startup or jobs");
                }
                yield 0;
            }
            default -> throw new UsageException("unknown command '" + argv[0] + "'");
        };
    }

    /** The local AWS endpoint: the one named by --aws-endpoint, or a moto_server started here. */
    static LocalAws endpoint(Args a, Path data, int port, String log, PrintStream out) throws Exception {
        if (!a.has("aws-endpoint")) {
            out.println("starting the local AWS endpoint (moto_server) on 127.0.0.1:" + port + " ...");
        }
        return LocalAws.open(a.has("aws-endpoint") ? java.util.Optional.of(URI.create(a.opt("aws-endpoint", null)))
                : java.util.Optional.empty(), data, port, data.resolve(log), out);
    }

    private static int serve(Args a, PrintStream out) throws Exception {
        int port = a.intOpt("port", 8080);
        int awsPort = a.intOpt("aws-port", 4566);
        Path data = dataDir(a);
        LocalAws aws = endpoint(a, data, awsPort, "moto.log", out);
        MotoServer moto = aws.moto().orElse(null);
        URI endpoint = aws.endpoint();
        String devKey = a.has("dev-key") ? a.opt("dev-key", null) : storedDevKey(data);
        var o = new LocalFoley.Options(port, endpoint, template(a), a.opt("table", LocalFoley.LOCAL_TABLE),
                devKey, a.flag("strict-urls"), new HashMap<>(System.getenv()), data);
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
        MotoServer m = moto;
        CountDownLatch stop = new CountDownLatch(1);
        var stopping = new java.util.concurrent.atomic.AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            foley.close();
            if (m != null) {
                m.close();
            }
            stop.countDown();
        }));
        if (m != null) {
            // Without its AWS endpoint serve can do nothing useful: say so once and stop.
            m.onUnexpectedExit(() -> {
                try {
                    Thread.sleep(1000); // Ctrl-C reaches moto too: give our own shutdown a moment to show itself
                } catch (InterruptedException e) {
                    return;
                }
                if (stopping.get()) {
                    return;
                }
                System.err.println("foley: the local AWS endpoint (moto_server) stopped; see " + data.resolve("moto.log")
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

                Try it:
                  curl -s %s/api/v3/wavespeed-ai/mmaudio-v2/text-to-audio \\
                    -H "Authorization: Bearer %s" -H "Content-Type: application/json" \\
                    -d '{"prompt":"rain on a tin roof","duration":5}'

                  aws --endpoint-url %s s3 cp clip.mp4 s3://%s/inputs/clip.mp4 --metadata prompt="rain on a tin roof"
                  (the result lands at s3://%s/outputs/clip.mp4, with outputs/clip.mp4.result.json)

                Ctrl-C stops it (local data lives in memory and goes with it).
                """, foley.baseUrl(), foley.apiKey(), endpoint, o.table(),
                String.join(" then ", foley.providers().all().stream().map(p -> p.name()).toList()),
                foley.settings().uploadsBucket(), foley.baseUrl(), foley.apiKey(), endpoint, foley.settings().uploadsBucket(),
                foley.settings().uploadsBucket());
        out.flush();
        stop.await();
        return 0;
    }

    private static int generate(Args a, PrintStream out) throws Exception {
        String video = a.opt("video", null);
        if (video != null && !video.matches("(?i)https?://.*") && !java.nio.file.Files.isRegularFile(Path.of(video))) {
            throw new UsageException("--video: no such file: " + video); // before starting anything
        }
        Path data = dataDir(a);
        LocalAws aws = endpoint(a, data, LocalFoley.freePort(), "moto-generate.log", out);
        MotoServer moto = aws.moto().orElse(null);
        URI endpoint = aws.endpoint();
        Map<String, String> env = new HashMap<>(System.getenv());
        env.putIfAbsent("FOLEY_OUTPUTS_BUCKET", "foley-outputs");
        var o = new LocalFoley.Options(0, endpoint, template(a), "foley-generate", KeyMaterial.newKey(), false, env, data);
        try (LocalFoley foley = LocalFoley.start(o)) {
            out.println("local stack up (provider " + foley.providers().primary().name() + ")");
            return Generate.run(foley, new Generate.Request(a.opt("video", null), a.opt("prompt", null),
                    a.opt("negative-prompt", null), a.opt("duration", null), a.opt("seed", null), a.opt("guidance", null),
                    a.opt("steps", null), a.flag("mask-away-clip"), a.has("out") ? Path.of(a.opt("out", null)) : null), out);
        } finally {
            if (moto != null) {
                moto.close();
            }
        }
    }

    private static int keys(Args a, PrintStream out) throws Exception {
        if (a.positional().isEmpty()) {
            throw new UsageException("keys needs a subcommand: create, list or disable");
        }
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("FOLEY_TABLE", a.opt("table", a.flag("aws") ? env.getOrDefault("FOLEY_TABLE", "") : LocalFoley.LOCAL_TABLE));
        if (env.get("FOLEY_TABLE").isBlank()) {
            throw new UsageException("--table is needed with --aws (the stack's TableName output)");
        }
        if (a.has("region")) {
            env.put("AWS_REGION", a.opt("region", null));
        }
        AwsClients clients;
        if (a.flag("aws")) {
            clients = new AwsClients(Settings.fromEnv(env), DefaultCredentialsProvider.builder().build());
        } else {
            env.put("AWS_ENDPOINT_URL", a.opt("aws-endpoint", "http://127.0.0.1:" + a.intOpt("aws-port", 4566)));
            clients = LocalFoley.clients(Settings.fromEnv(env));
        }
        Settings s = Settings.fromEnv(env);
        try (var dynamo = clients.dynamo()) {
            ApiKeyStore keys = new ApiKeyStore(dynamo, s.table(), Clock.systemUTC());
            switch (a.positional().get(0)) {
                case "create" -> {
                    String name = a.opt("name", null);
                    if (name == null || name.isBlank()) {
                        throw new UsageException("keys create needs --name NAME");
                    }
                    String scheme = a.opt("webhook-scheme", ApiKey.WAVESPEED);
                    if (!scheme.equals(ApiKey.WAVESPEED) && !scheme.equals(ApiKey.STANDARD)) {
                        throw new UsageException("--webhook-scheme must be wavespeed or standard");
                    }
                    Long balance = a.has("balance-usd") ? microUsd(a.opt("balance-usd", null)) : null;
                    var k = keys.create(name, KeyMaterial.newKey(), scheme, balance);
                    out.println("key id          " + k.key().keyId());
                    out.println("name            " + k.key().name());
                    out.println("API key         " + k.plainKey());
                    out.println("webhook secret  " + k.key().webhookSecret() + "  (scheme " + scheme + ")");
                    if (balance != null) {
                        out.println("prepaid balance $" + a.opt("balance-usd", null));
                    }
                    out.println("(the key is shown once: Foley keeps only its SHA-256)");
                }
                case "list" -> {
                    out.printf("%-22s %-9s %-24s %s%n", "KEY ID", "STATE", "CREATED", "NAME");
                    for (ApiKey k : keys.list()) {
                        out.printf("%-22s %-9s %-24s %s%n", k.keyId(), k.disabled() ? "disabled" : "active",
                                k.createdAt(), k.name());
                    }
                }
                case "disable" -> {
                    if (a.positional().size() < 2) {
                        throw new UsageException("keys disable needs a key id (see keys list)");
                    }
                    String id = a.positional().get(1);
                    if (!keys.disable(id)) {
                        out.println("no key with id " + id);
                        return 1;
                    }
                    out.println("disabled " + id + " (cached copies expire within " + s.keyCacheTtl().toSeconds() + " s)");
                }
                case "credit" -> {
                    if (a.positional().size() < 2 || !a.has("usd")) {
                        throw new UsageException("keys credit needs a key id and --usd AMOUNT");
                    }
                    if (!keys.credit(a.positional().get(1), microUsd(a.opt("usd", null)))) {
                        out.println("no key with id " + a.positional().get(1));
                        return 1;
                    }
                    out.println("credited $" + a.opt("usd", null) + " to " + a.positional().get(1));
                }
                default -> throw new UsageException("unknown keys subcommand '" + a.positional().get(0) + "'");
            }
        } catch (software.amazon.awssdk.core.exception.SdkClientException e) {
            throw new IOException("cannot reach the table at " + env.getOrDefault("AWS_ENDPOINT_URL", "AWS")
                    + " (is ./foley serve running?): " + e.getMessage(), e);
        }
        return 0;
    }

    private static long microUsd(String usd) throws UsageException {
        try {
            java.math.BigDecimal d = new java.math.BigDecimal(usd);
            if (d.signum() < 0) {
                throw new NumberFormatException();
            }
            return d.movePointRight(6).setScale(0, java.math.RoundingMode.HALF_UP).longValueExact();
        } catch (NumberFormatException | ArithmeticException e) {
            throw new UsageException("an amount of dollars like 10 or 0.25 is needed, got '" + usd + "'");
        }
    }

    /** The project folder: FOLEY_HOME (set by ./foley), else the current directory. */
    public static Path home() {
        String h = System.getenv("FOLEY_HOME");
        return h == null || h.isBlank() ? Path.of("") : Path.of(h);
    }

    static Path dataDir(Args a) {
        return a.has("data") ? Path.of(a.opt("data", null)) : home().resolve(".foley");
    }

    private static Path template(Args a) throws UsageException {
        Path t = a.has("template") ? Path.of(a.opt("template", null)) : home().resolve("template.yaml");
        if (!Files.isRegularFile(t)) {
            throw new UsageException("cannot find " + t.toAbsolutePath() + "; run from the project folder or pass --template");
        }
        return t;
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

    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    /** {@code --name value}, {@code --name=value}, {@code --flag}, and positionals. */
    record Args(Map<String, String> options, List<String> positional) {
        private static final java.util.Set<String> FLAGS = java.util.Set.of("strict-urls", "aws", "mask-away-clip");

        static Args parse(List<String> argv) throws UsageException {
            Map<String, String> opts = new HashMap<>();
            List<String> pos = new ArrayList<>();
            for (int i = 0; i < argv.size(); i++) {
                String s = argv.get(i);
                if (s.startsWith("--")) {
                    String name = s.substring(2);
                    String value;
                    int eq = name.indexOf('=');
                    if (eq >= 0) {
                        value = name.substring(eq + 1);
                        name = name.substring(0, eq);
                    } else if (FLAGS.contains(name)) {
                        value = "true";
                    } else if (i + 1 < argv.size()) {
                        value = argv.get(++i);
                    } else {
                        value = null; // reported by allowOnly: unknown option, or one missing its value
                    }
                    opts.put(name, value);
                } else {
                    pos.add(s);
                }
            }
            return new Args(opts, pos);
        }

        void allowOnly(java.util.Set<String> known) throws UsageException {
            for (var o : options.entrySet()) {
                if (!known.contains(o.getKey())) {
                    throw new UsageException("unknown option --" + o.getKey());
                }
                if (o.getValue() == null) {
                    throw new UsageException("--" + o.getKey() + " needs a value");
                }
            }
        }

        boolean has(String name) {
            return options.containsKey(name);
        }

        boolean flag(String name) {
            return "true".equals(options.get(name));
        }

        String opt(String name, String dflt) {
            return options.getOrDefault(name, dflt);
        }

        int intOpt(String name, int dflt) throws UsageException {
            String v = options.get(name);
            if (v == null) {
                return dflt;
            }
            try {
                int n = Integer.parseInt(v);
                if (n < 0 || n > 65535) {
                    throw new NumberFormatException();
                }
                return n;
            } catch (NumberFormatException e) {
                throw new UsageException("--" + name + " must be a port number, got '" + v + "'");
            }
        }
    }
}
