package dev.foley;

import dev.foley.api.AccountRoutes;
import dev.foley.api.CallbackRoute;
import dev.foley.api.FoleyApi;
import dev.foley.api.PredictionRoutes;
import dev.foley.api.SubmitRoute;
import dev.foley.auth.KeyAuthenticator;
import dev.foley.config.Settings;
import dev.foley.net.PinnedHttp;
import dev.foley.net.UrlPolicy;
import dev.foley.pipeline.OutputStore;
import dev.foley.pipeline.Pipeline;
import dev.foley.pipeline.Poller;
import dev.foley.pipeline.WebhookSender;
import dev.foley.prediction.IdGenerator;
import dev.foley.prediction.RequestValidator;
import dev.foley.provider.ProviderChain;
import dev.foley.store.ApiKeyStore;
import dev.foley.store.PredictionStore;
import dev.foley.store.UsageStore;
import java.time.Clock;
import java.time.Duration;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * The whole of Foley wired from configuration: the one wiring every handler (and local mode)
 * uses, so they cannot differ. Built once per process; no reflection, no container.
 */
public final class Foley {

    private final Settings settings;
    private final PredictionStore predictions;
    private final ApiKeyStore keys;
    private final Pipeline pipeline;
    private final FoleyApi api;
    private final Clock clock;

    private final dev.foley.pipeline.Ingest ingest;

    private Foley(Settings settings, PredictionStore predictions, ApiKeyStore keys, Pipeline pipeline, FoleyApi api, Clock clock,
            dev.foley.pipeline.Ingest ingest) {
        this.ingest = ingest;
        this.settings = settings;
        this.predictions = predictions;
        this.keys = keys;
        this.pipeline = pipeline;
        this.api = api;
        this.clock = clock;
    }

    public static Foley wire(Settings s, DynamoDbClient dynamo, java.util.function.Supplier<S3Client> s3,
            java.util.function.Supplier<S3Presigner> presigner, ProviderChain providers, Clock clock) {
        var predictions = new PredictionStore(dynamo, s.table(), clock, s.dueShards(), s.retention());
        var keys = new ApiKeyStore(dynamo, s.table(), clock);
        var usage = new UsageStore(dynamo, s.table());
        var fetcher = new PinnedHttp(s.strictUrls());
        var outputs = new OutputStore(s3, presigner, s.outputsBucket(), s.linkTtl(), s.outputsPublicBase(), fetcher);
        var webhooks = new WebhookSender(fetcher, keys, clock, outputs::links, s.publicBaseUrl().orElse(""));
        // Providers push to us when a callback base is set, or (a deployed stack) to the API's own URL.
        var lifecycle = new dev.foley.lifecycle.Lifecycle(s.deadline(), s.callbackBase().isPresent() || s.strictUrls());
        var pipeline = new Pipeline(predictions, new dev.foley.store.WebhookAttempts(dynamo, s.table(), clock, s.retention()),
                providers, outputs, webhooks, clock, lifecycle, s.callbackBase(), s.microUsdPerSecond(), s.owner());
        var submit = new SubmitRoute(predictions, keys, new RequestValidator(new UrlPolicy(s.strictUrls())),
                IdGenerator.random(), clock, s.publicBaseUrl(), pipeline, s.syncWait(), s.strictUrls());
        var uploads = new dev.foley.media.UploadStore(s3, presigner, s.uploadsBucket());
        var ingest = new dev.foley.pipeline.Ingest(predictions, keys, uploads, s3, new RequestValidator(new UrlPolicy(s.strictUrls())),
                pipeline, clock, s.ingestKeyId());
        pipeline.resultFilesBy(ingest::writeResult);
        var api = new FoleyApi(new KeyAuthenticator(keys, clock, s.keyCacheTtl()), submit,
                new PredictionRoutes(predictions, pipeline), new AccountRoutes(keys, usage, clock, s.microUsdPerSecond()),
                new CallbackRoute(pipeline),
                new dev.foley.api.MediaRoutes(uploads, s.uploadMaxBytes()),
                new dev.foley.api.PlaygroundRoutes(s.playgroundDevKey(), s.microUsdPerSecond()));
        return new Foley(s, predictions, keys, pipeline, api, clock, ingest);
    }

    /**
     * Foley as a Lambda function builds it: configuration from the environment, AWS clients with
     * the function's role, the remote providers, and completion in the completion function
     * ({@code FOLEY_COMPLETION_FUNCTION}) when one is named. A chosen provider without its key
     * fails here, at start-up, saying which.
     */
    public static Foley fromEnvironment(java.util.Map<String, String> processEnv) {
        Settings s = Settings.fromEnv(processEnv);
        Clock clock = Clock.systemUTC();
        var clients = dev.foley.aws.AwsClients.fromSettings(s);
        var env = dev.foley.config.Secrets.resolve(processEnv, clients::ssm);
        var providers = dev.foley.provider.Providers.fromEnv(env, java.util.Map.of(), dev.foley.provider.ProviderHttp.standard(),
                dev.foley.provider.ProviderHttp.Policies.DEFAULT, clock);
        // S3 clients are built on first use: most API requests never touch S3.
        Foley f = wire(s, clients.dynamo(), dev.foley.aws.Lazy.of(clients::s3), dev.foley.aws.Lazy.of(clients::presigner),
                providers, clock);
        s.completionFunction().ifPresent(fn ->
                f.pipeline().completionBy(new dev.foley.aws.LambdaCompletionTrigger(dev.foley.aws.Lazy.of(clients::lambda), fn)));
        return f;
    }

    public FoleyApi api() {
        return api;
    }

    public dev.foley.pipeline.Ingest ingest() {
        return ingest;
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    public PredictionStore predictions() {
        return predictions;
    }

    public ApiKeyStore keys() {
        return keys;
    }

    public Settings settings() {
        return settings;
    }

    /** A poller over this wiring: {@code concurrency} steps at once, looking {@code lookahead} ahead. */
    public Poller poller(int concurrency, Duration lookahead) {
        return new Poller(predictions, pipeline, clock, concurrency, lookahead);
    }
}
