package dev.foley.local;

import dev.foley.Foley;
import dev.foley.pipeline.Poller;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import dev.foley.aws.AwsClients;
import dev.foley.config.Settings;
import dev.foley.functions.api.ApiHandler;
import dev.foley.store.ApiKeyStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import dev.foley.local.generator.LocalProvider;
import dev.foley.provider.InferenceProvider;
import dev.foley.provider.ProviderChain;
import dev.foley.provider.ProviderHttp;
import dev.foley.provider.Providers;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import dev.foley.pipeline.Pipeline;
import dev.foley.prediction.IdGenerator;
import dev.foley.time.Sleeper;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * Local mode: the real handlers, wired exactly as on Lambda, against a local AWS endpoint, behind
 * {@link LocalServer}. Used by {@code ./foley serve} and by the end-to-end tests.
 */
public final class LocalFoley implements AutoCloseable {

    public static final String LOCAL_TABLE = "foley-local";

    /** What local mode needs to know; everything else comes from {@link Settings}. */
    public record Options(int port, URI awsEndpoint, Path template, String table, String devKey,
            boolean strictUrls, Map<String, String> extraEnv, Path dataDir) {
    }

    private final LocalServer server;
    private final DynamoDbClient dynamo;
    private final Settings settings;
    private final String apiKey;
    private final ProviderChain providers;
    private final List<AutoCloseable> owned;

    private final Foley foley;

    private LocalFoley(LocalServer server, DynamoDbClient dynamo, Settings settings, String apiKey, ProviderChain providers,
            List<AutoCloseable> owned, Foley foley) {
        this.foley = foley;
        this.server = server;
        this.dynamo = dynamo;
        this.settings = settings;
        this.apiKey = apiKey;
        this.providers = providers;
        this.owned = owned;
    }

    /** The environment a Lambda function would see, pointed at the local endpoint. */
    public static Map<String, String> environment(Options o) {
        Map<String, String> env = new HashMap<>(o.extraEnv());
        env.put("FOLEY_TABLE", o.table());
        env.put("AWS_REGION", env.getOrDefault("AWS_REGION", "us-east-1"));
        env.put("AWS_ENDPOINT_URL", o.awsEndpoint().toString());
        env.put("FOLEY_STRICT_URLS", Boolean.toString(o.strictUrls()));
        return env;
    }

    static final StaticCredentialsProvider LOCAL_CREDENTIALS = StaticCredentialsProvider.create(AwsBasicCredentials.create("foley", "local"));

    /** Clients for the local endpoint: any credentials will do there. */
    public static AwsClients clients(Settings settings) {
        return new AwsClients(settings, LOCAL_CREDENTIALS);
    }

    /**
     * The SDK's own S3 client, for local mode's setup and tests only (making buckets, CORS, the
     * S3-to-SQS feed, reading what Foley wrote): the functions make their S3 calls without it.
     */
    public static software.amazon.awssdk.services.s3.S3Client sdkS3(Settings settings) {
        URI endpoint = settings.endpointFor(settings.s3Endpoint()).orElseThrow();
        return software.amazon.awssdk.services.s3.S3Client.builder().endpointOverride(endpoint).forcePathStyle(true)
                .region(software.amazon.awssdk.regions.Region.of(settings.region())).credentialsProvider(LOCAL_CREDENTIALS)
                .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create()).build();
    }

    /** The SDK's SQS client: local mode's S3 trigger (moto's S3 notifies a queue). */
    public static software.amazon.awssdk.services.sqs.SqsClient sqs(Settings settings) {
        return software.amazon.awssdk.services.sqs.SqsClient.builder().endpointOverride(settings.awsEndpoint().orElseThrow())
                .region(software.amazon.awssdk.regions.Region.of(settings.region())).credentialsProvider(LOCAL_CREDENTIALS)
                .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create()).build();
    }

    /**
     * Foley on a local endpoint, wired as Lambda wires it ({@link Foley#wire}): local clients, the
     * real clock; work handed off the request path runs on {@code completion} (empty: at once, in
     * the caller's thread).
     */
    public static Foley wire(Settings settings, ProviderChain providers, Optional<Foley.Handoff> completion) {
        return wire(settings, providers, completion, Optional.empty(), Optional.empty());
    }

    /** The same, with media steps handed to {@code mediaTrigger} and done by {@code media} in this process. */
    public static Foley wire(Settings settings, ProviderChain providers, Optional<Foley.Handoff> completion,
            Optional<Foley.Handoff> mediaTrigger, Optional<Foley.MediaMaker> media) {
        Clock clock = Clock.systemUTC();
        return Foley.wire(new Foley.Parts(settings, clients(settings), providers, clock, Sleeper.of(clock), IdGenerator.random(),
                completion, mediaTrigger, media));
    }

    /** The media function's own FFmpeg work, its files under {@code dir}. */
    public static Foley.MediaMaker media(Path dir) {
        // Under --strict-urls, local mode's own S3 and generator (on 127.0.0.1) stay readable: an uploaded video
        // and the generator's sound live there.
        return (bucket, settings, own) -> new dev.foley.media.FfmpegMedia(bucket,
                new dev.foley.net.PinnedHttp(settings.strictUrls(), own), dir);
    }

    /** The table (built from {@code template.yaml}) and both buckets, made if missing. */
    public static void prepare(Settings settings, Path template) throws IOException {
        AwsClients clients = clients(settings);
        try (DynamoDbClient dynamo = clients.dynamo()) {
            TemplateTable.read(template).ensure(dynamo, settings.table());
        }
        ensureBucket(clients, settings.outputsBucket());
        ensureBucket(clients, settings.uploadsBucket());
    }

    public static LocalFoley start(Options o) throws IOException {
        int port = o.port() == 0 ? freePort() : o.port();
        Map<String, String> env = environment(o);
        env.putIfAbsent("FOLEY_PUBLIC_BASE_URL", "http://127.0.0.1:" + port);
        Settings first = Settings.fromEnv(env);
        prepare(first, o.template());
        AwsClients clients = clients(first);
        DynamoDbClient dynamo = clients.dynamo();
        var devKey = new ApiKeyStore(dynamo, first.table(), Clock.systemUTC()).create("local dev key", o.devKey());
        String key = devKey.plainKey();
        // Uploads to the local bucket are charged to the dev key, unless INGEST_KEY_ID names another.
        env.putIfAbsent("INGEST_KEY_ID", devKey.key().keyId());
        // The playground pre-fills the dev key locally; a deployed stack never sets this.
        env.putIfAbsent("FOLEY_PLAYGROUND_DEV_KEY", key);
        Settings settings = Settings.fromEnv(env);
        List<AutoCloseable> owned = new ArrayList<>();
        ProviderChain providers = providers(env, o.dataDir(), owned);
        // Completion runs in-process, as the completion function would, on its own threads.
        ExecutorService completions = Executors.newVirtualThreadPerTaskExecutor();
        owned.add(completions::shutdownNow);
        // Media work (long videos, the original sound, formats) runs as the media function would: each
        // hand-over its own invocation (thread), so one prediction's slow fetch never waits in line
        // before another's work; every fetch is bounded (a rate floor, a total cap).
        ExecutorService mediaThreads = Executors.newThreadPerTaskExecutor(Thread.ofPlatform().daemon().name("foley-media-", 0).factory());
        owned.add(mediaThreads::shutdownNow);
        Foley foley = wire(settings, providers,
                Optional.of(pipeline -> id -> completions.submit(() -> pipeline.runToRest(id))),
                Optional.of(pipeline -> id -> mediaThreads.submit(() -> pipeline.runMedia(id))),
                Optional.of(media(o.dataDir().resolve("media"))));
        LocalPoller poller = new LocalPoller(foley.poller(16, Duration.ofSeconds(60)));
        owned.add(0, poller);
        owned.add(0, LocalIngestFeed.start(sqs(settings), sdkS3(settings), settings.uploadsBucket(),
                new dev.foley.functions.ingest.IngestHandler(foley.ingest())));
        LocalServer server = LocalServer.start(port, new ApiHandler(foley.api()));
        return new LocalFoley(server, dynamo, settings, key, providers, owned, foley);
    }

    /** The poller's loop in local mode: tick whenever something is due, check often for new work. */
    static final class LocalPoller implements AutoCloseable {
        private final Thread thread;
        private volatile boolean running = true;

        LocalPoller(Poller poller) {
            thread = Thread.ofPlatform().daemon().name("foley-local-poller").start(() -> {
                while (running) {
                    try {
                        poller.runFor(Duration.ofSeconds(60), Duration.ofMillis(100),
                                dev.foley.time.Deadline.in(java.time.Clock.systemUTC(), Duration.ofSeconds(90)));
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException e) {
                        if (!running) {
                            return; // shutting down: the endpoint may already be gone
                        }
                        System.err.println("foley: poller tick failed: " + e.getMessage());
                        try {
                            Thread.sleep(1000);
                        } catch (InterruptedException stop) {
                            return;
                        }
                    }
                }
            });
        }

        @Override
        public void close() {
            running = false;
            thread.interrupt();
            try {
                // Let an in-flight tick finish before the caller stops the AWS endpoint under it.
                thread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public static void ensureBucket(AwsClients clients, String bucket) {
        try (var s3 = sdkS3(clients.settings())) {
            try {
                s3.createBucket(r -> r.bucket(bucket));
            } catch (software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException
                    | software.amazon.awssdk.services.s3.model.BucketAlreadyExistsException exists) {
                // fine
            }
            // As the template does: browsers may PUT uploads and read outputs across origins (the
            // presigned URL is the access control).
            s3.putBucketCors(r -> r.bucket(bucket).corsConfiguration(c -> c.corsRules(rule -> rule
                    .allowedOrigins("*").allowedMethods("GET", "PUT", "HEAD").allowedHeaders("*").exposeHeaders("ETag")
                    .maxAgeSeconds(3000))));
        }
    }

    static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public Foley foley() {
        return foley;
    }

    /** The providers from the environment, with the offline {@code local} generator available (and the default). */
    public static ProviderChain providers(Map<String, String> env, Path dataDir, List<AutoCloseable> owned) {
        Map<String, Supplier<InferenceProvider>> extras = Map.of(LocalProvider.NAME, () -> {
            try {
                var settings = dev.foley.config.Settings.fromEnv(env);
                LocalProvider p = new LocalProvider(dataDir.resolve("local-provider"), 2, settings.strictUrls(),
                        settings.endpointFor(settings.s3Endpoint()));
                owned.add(p);
                return p;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return Providers.fromEnv(env, extras, ProviderHttp.standard(), ProviderHttp.Policies.DEFAULT, Clock.systemUTC());
    }

    public ProviderChain providers() {
        return providers;
    }

    public String baseUrl() {
        return server.baseUrl();
    }

    public String apiKey() {
        return apiKey;
    }

    public DynamoDbClient dynamo() {
        return dynamo;
    }

    public Settings settings() {
        return settings;
    }

    @Override
    public void close() {
        server.close();
        for (AutoCloseable c : owned) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing down anyway
            }
        }
        dynamo.close();
    }
}
