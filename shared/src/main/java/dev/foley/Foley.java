package dev.foley;

import dev.foley.admission.Admission;
import dev.foley.api.AccountRoutes;
import dev.foley.api.CallbackRoute;
import dev.foley.api.FoleyApi;
import dev.foley.api.KeyAuthenticator;
import dev.foley.api.MediaRoutes;
import dev.foley.api.ModelRoutes;
import dev.foley.api.PlaygroundRoutes;
import dev.foley.api.PredictionRoutes;
import dev.foley.api.SubmitRoute;
import dev.foley.aws.AwsClients;
import dev.foley.aws.LambdaCompletionTrigger;
import dev.foley.config.Secrets;
import dev.foley.config.Settings;
import dev.foley.ingest.Ingest;
import dev.foley.lifecycle.Lifecycle;
import dev.foley.net.PinnedHttp;
import dev.foley.net.UrlPolicy;
import dev.foley.pipeline.OutputCopy;
import dev.foley.pipeline.Pipeline;
import dev.foley.pipeline.Poller;
import dev.foley.pipeline.WebhookSender;
import dev.foley.ingest.IngestResults;
import dev.foley.prediction.IdGenerator;
import dev.foley.prediction.Pricing;
import dev.foley.prediction.RequestValidator;
import dev.foley.provider.ProviderChain;
import dev.foley.provider.ProviderHttp;
import dev.foley.provider.Providers;
import dev.foley.store.ApiKeyStore;
import dev.foley.store.PredictionStore;
import dev.foley.store.Stores;
import dev.foley.time.Sleeper;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The whole of Foley wired from its parts: the one wiring every Lambda handler, local mode, the
 * benchmarks and the tests use, so they cannot differ. Built once per process; no reflection, no
 * container. What differs between runtimes is only what goes into {@link Parts}.
 */
public final class Foley {

    /**
     * What a runtime brings: its settings, AWS clients for its endpoint, its providers, how it tells
     * the time and waits for it, how it names predictions, where work handed off the request path
     * runs (completion, media steps; each given the pipeline it is for; empty: in this process, at
     * once), and the media work it does itself (the media function, local mode; empty: none).
     */
    public record Parts(Settings settings, AwsClients clients, ProviderChain providers, Clock clock, Sleeper sleeper,
            IdGenerator ids, Optional<Handoff> completion, Optional<Handoff> mediaTrigger, Optional<MediaMaker> media) {

        /** A runtime without a media step of its own, completion where {@code completion} says. */
        public Parts(Settings settings, AwsClients clients, ProviderChain providers, Clock clock, Sleeper sleeper,
                IdGenerator ids, Optional<Handoff> completion) {
            this(settings, clients, providers, clock, sleeper, ids, completion, Optional.empty(), Optional.empty());
        }
    }

    /** Where work for a pipeline is handed off to (an async invoke, a thread of this process). */
    public interface Handoff {
        Pipeline.CompletionTrigger to(Pipeline pipeline);

        /** A hand-off that needs no pipeline (an async invoke of another function). */
        static Handoff of(Pipeline.CompletionTrigger trigger) {
            return p -> trigger;
        }
    }

    /** The media work of this process, made from Foley's bucket, its settings and its own storage hosts. */
    public interface MediaMaker {
        dev.foley.pipeline.MediaWork make(dev.foley.store.OutputStore bucket, Settings settings, java.util.List<String> ownStorage);
    }

    private final Settings settings;
    private final Clock clock;
    private final Sleeper sleeper;
    private final PredictionStore predictions;
    private final ApiKeyStore keys;
    private final OutputCopy outputs;
    private final dev.foley.store.OutputStore outputStore;
    private final Pipeline pipeline;
    private final Admission admission;
    private final Ingest ingest;
    private final FoleyApi api;
    private final java.util.List<String> ownStorage;

    private Foley(Settings settings, Clock clock, Sleeper sleeper, PredictionStore predictions, ApiKeyStore keys,
            OutputCopy outputs, dev.foley.store.OutputStore outputStore, Pipeline pipeline, Admission admission, Ingest ingest,
            FoleyApi api, java.util.List<String> ownStorage) {
        this.ownStorage = ownStorage;
        this.outputStore = outputStore;
        this.settings = settings;
        this.clock = clock;
        this.sleeper = sleeper;
        this.predictions = predictions;
        this.keys = keys;
        this.outputs = outputs;
        this.pipeline = pipeline;
        this.admission = admission;
        this.ingest = ingest;
        this.api = api;
    }

    /** Foley's own storage ({@code host:port}s), readable even under strict URLs: see {@link PinnedHttp#ownStorage}. */
    public java.util.List<String> ownStorage() {
        return ownStorage;
    }

    private static java.util.List<String> ownStorage(Settings s, ProviderChain providers) {
        return PinnedHttp.ownStorage(s.endpointFor(s.s3Endpoint()),
                providers.all().stream().flatMap(p -> p.ownOutputHost().stream()).toList());
    }

    /** The wiring. */
    public static Foley wire(Parts parts) {
        Settings s = parts.settings();
        Clock clock = parts.clock();
        Stores stores = Stores.open(parts.clients(), s, clock);
        var predictions = stores.predictions();
        var keys = stores.keys();
        var usage = stores.usage();
        var attempts = stores.attempts();
        var outputs = stores.outputs();
        var uploads = stores.uploads();

        var fetcher = new PinnedHttp(s.strictUrls(), ownStorage(s, parts.providers()));
        parts.providers().stageInputsWith(new dev.foley.provider.InputStaging(dev.foley.provider.InputStaging.Mode.parse(s.uploadInputs()), fetcher,
                java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "foley-staging")));
        var pricing = new Pricing(s.microUsdPerSecond());
        // Providers push to us when a callback base is set, or (a deployed stack) to the API's own URL.
        var lifecycle = new Lifecycle(s.deadline(), s.callbackBase().isPresent() || s.strictUrls());
        var copy = new OutputCopy(outputs, fetcher);
        var webhooks = new WebhookSender(fetcher, keys, clock, outputs::links, s.publicBaseUrl().orElse(""));
        // Everything the pipeline hands work to is given when it is built: no setters after, no cycle
        // (the ingest side's result files are their own part, apart from the ingest that needs the pipeline).
        var handoffs = Pipeline.Handoffs.here().sized(outputs::workLink, s::windowConcurrencyFor, s::maxInFlightFor)
                .resultFilesBy(new IngestResults(uploads, s.outputsBucket(), outputs::links)::writeResult);
        if (parts.completion().isPresent()) {
            handoffs = handoffs.completionBy(parts.completion().get()::to);
        }
        if (parts.mediaTrigger().isPresent()) {
            handoffs = handoffs.mediaBy(parts.mediaTrigger().get()::to);
        }
        if (parts.media().isPresent()) {
            handoffs = handoffs.mediaWork(parts.media().get().make(outputs, s, ownStorage(s, parts.providers())));
        }
        var pipeline = new Pipeline(predictions, attempts, parts.providers(), copy, webhooks, clock, parts.sleeper(), lifecycle,
                s.callbackBase(), pricing, s.owner(), handoffs);

        // Links the upload-ticket endpoint hands out point into our own uploads bucket: a video there is
        // ours to fetch even under strict URLs (local mode's S3 is on 127.0.0.1).
        var validator = new RequestValidator(new UrlPolicy(s.strictUrls(), UrlPolicy.under(uploads::linkBase)));
        var admission = new Admission(predictions, keys, validator, pipeline, pricing, parts.ids(), clock, s.keyLimits());
        var ingest = new Ingest(admission, keys, uploads, new IngestResults(uploads, s.outputsBucket(), outputs::links), clock,
                s.ingestKeyId());

        var api = new FoleyApi(new KeyAuthenticator(keys, clock, s.keyCacheTtl()).withDefaultLimits(s.keyLimits()),
                new SubmitRoute(admission, predictions, pipeline, outputs::links, clock, parts.sleeper(), s.publicBaseUrl(),
                        s.syncWait(), s.strictUrls()),
                new PredictionRoutes(predictions, pipeline, outputs::links, outputs::delete, clock),
                new AccountRoutes(keys, usage, clock, s.microUsdPerSecond()),
                new CallbackRoute(parts.providers(), predictions, pipeline),
                new MediaRoutes(uploads, s.uploadMaxBytes()),
                new PlaygroundRoutes(s.playgroundDevKey(), s.microUsdPerSecond()),
                new ModelRoutes(parts.providers().catalog(), s.microUsdPerSecond()));
        return new Foley(s, clock, parts.sleeper(), predictions, keys, copy, outputs, pipeline, admission, ingest, api,
                ownStorage(s, parts.providers()));
    }

    /**
     * Foley as a Lambda function builds it: configuration from the environment, AWS clients with
     * the function's role, provider keys from SSM, the remote providers, and work handed off the
     * request path to the completion function ({@code FOLEY_COMPLETION_FUNCTION}), unless this is
     * the completion function, which does it itself. A chosen provider without its key fails here,
     * at start-up, saying which.
     */
    public static Foley fromEnvironment(Map<String, String> processEnv) {
        return fromEnvironment(processEnv, Optional.empty());
    }

    /** The same, for a function that does media work itself (the media function: {@code media}). */
    public static Foley fromEnvironment(Map<String, String> processEnv, Optional<MediaMaker> media) {
        Settings s = Settings.fromEnv(processEnv);
        Clock clock = Clock.systemUTC();
        AwsClients clients = AwsClients.fromSettings(s);
        Map<String, String> env = Secrets.resolve(processEnv, path -> dev.foley.aws.SsmParameters.under(clients, path));
        Sleeper sleeper = Sleeper.of(clock);
        ProviderChain providers = Providers.fromEnv(env, Map.of(), ProviderHttp.standard(clock, sleeper), ProviderHttp.Policies.DEFAULT, clock);
        Optional<Handoff> completion = s.completionFunction()
                .filter(fn -> !fn.equals(s.owner()))
                .map(fn -> Handoff.of(new LambdaCompletionTrigger(clients, fn)::trigger));
        Optional<Handoff> mediaTrigger = s.mediaFunction()
                .filter(fn -> !fn.equals(s.owner()))
                .map(fn -> Handoff.of(new LambdaCompletionTrigger(clients, fn)::trigger));
        return wire(new Parts(s, clients, providers, clock, sleeper, IdGenerator.random(), completion, mediaTrigger, media));
    }

    public FoleyApi api() {
        return api;
    }

    public Ingest ingest() {
        return ingest;
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    /** The one way a request becomes a prediction (the API's submit and S3 ingest use it). */
    public Admission admission() {
        return admission;
    }

    public PredictionStore predictions() {
        return predictions;
    }

    public ApiKeyStore keys() {
        return keys;
    }

    /** How outputs are copied into our bucket (tests re-drive a copy with it). */
    public OutputCopy outputs() {
        return outputs;
    }

    /** The outputs bucket (the media function reads and writes its work files there). */
    public dev.foley.store.OutputStore outputStore() {
        return outputStore;
    }

    public Settings settings() {
        return settings;
    }

    /** A poller over this wiring: {@code concurrency} steps at once, looking {@code lookahead} ahead. */
    public Poller poller(int concurrency, Duration lookahead) {
        return new Poller(predictions, pipeline, clock, sleeper, concurrency, lookahead);
    }
}
