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
import java.util.HashMap;
import java.util.Map;
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
            boolean strictUrls, Map<String, String> extraEnv) {
    }

    private final LocalServer server;
    private final DynamoDbClient dynamo;
    private final Settings settings;
    private final String apiKey;

    private LocalFoley(LocalServer server, DynamoDbClient dynamo, Settings settings, String apiKey) {
        this.server = server;
        this.dynamo = dynamo;
        this.settings = settings;
        this.apiKey = apiKey;
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
        Settings settings = Settings.fromEnv(environment(o));
        DynamoDbClient dynamo = clients(settings).dynamo();
        TemplateTable.read(o.template()).ensure(dynamo, settings.table());
        String key = new ApiKeyStore(dynamo, settings.table(), Clock.systemUTC())
                .create("local dev key", o.devKey()).plainKey();
        ApiHandler handler = new ApiHandler(FoleyApi.create(settings, dynamo, Clock.systemUTC()));
        LocalServer server = LocalServer.start(o.port(), handler);
        return new LocalFoley(server, dynamo, settings, key);
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
        dynamo.close();
    }
}
