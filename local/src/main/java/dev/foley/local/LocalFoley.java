package dev.foley.local;

import dev.foley.api.FoleyApi;
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
import java.util.function.Supplier;
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

    private LocalFoley(LocalServer server, DynamoDbClient dynamo, Settings settings, String apiKey, ProviderChain providers,
            List<AutoCloseable> owned) {
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

    /** Clients for the local endpoint: any credentials will do there. */
    public static AwsClients clients(Settings settings) {
        return new AwsClients(settings, StaticCredentialsProvider.create(AwsBasicCredentials.create("foley", "local")));
    }

    public static LocalFoley start(Options o) throws IOException {
        Map<String, String> env = environment(o);
        Settings settings = Settings.fromEnv(env);
        DynamoDbClient dynamo = clients(settings).dynamo();
        TemplateTable.read(o.template()).ensure(dynamo, settings.table());
        String key = new ApiKeyStore(dynamo, settings.table(), Clock.systemUTC())
                .create("local dev key", o.devKey()).plainKey();
        List<AutoCloseable> owned = new ArrayList<>();
        ProviderChain providers = providers(env, o.dataDir(), owned);
        ApiHandler handler = new ApiHandler(FoleyApi.create(settings, dynamo, Clock.systemUTC(), providers));
        LocalServer server = LocalServer.start(o.port(), handler);
        return new LocalFoley(server, dynamo, settings, key, providers, owned);
    }

    /** The providers from the environment, with the offline {@code local} generator available (and the default). */
    public static ProviderChain providers(Map<String, String> env, Path dataDir, List<AutoCloseable> owned) {
        Map<String, Supplier<InferenceProvider>> extras = Map.of(LocalProvider.NAME, () -> {
            try {
                LocalProvider p = new LocalProvider(dataDir.resolve("local-provider"), 2);
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
