package dev.foley.local;

import dev.foley.aws.AwsClients;
import dev.foley.config.Settings;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * JUnit extension: one {@code moto_server} for the whole test run, on a free port of 127.0.0.1,
 * found or installed exactly as {@code ./foley} does it. Tests get their own table each, made
 * from {@code template.yaml}.
 */
public final class Moto implements BeforeAllCallback {

    private static LocalAws server;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        endpoint();
    }

    public static synchronized URI endpoint() throws IOException, InterruptedException {
        if (server == null) {
            server = LocalAws.open(java.util.Optional.empty(), projectRoot().resolve(".foley"), 0,
                    projectRoot().resolve("local/target/moto-test.log"), System.out);
            LocalAws started = server;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close));
        }
        return server.endpoint();
    }

    public static Path projectRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("template.yaml"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("template.yaml not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    public static Path template() {
        return projectRoot().resolve("template.yaml");
    }

    /** Settings for a fresh table on the shared moto, with extra environment on top. */
    public static Settings settings(String table, Map<String, String> extra) throws Exception {
        var env = new java.util.HashMap<>(extra);
        env.put("FOLEY_TABLE", table);
        env.put("AWS_REGION", "us-east-1");
        env.put("AWS_ENDPOINT_URL", endpoint().toString());
        env.putIfAbsent("FOLEY_STRICT_URLS", "false");
        return Settings.fromEnv(env);
    }

    /** A new, empty table built from the template; returns a client for it. */
    public static DynamoDbClient freshTable(Settings settings) throws IOException {
        DynamoDbClient dynamo = LocalFoley.clients(settings).dynamo();
        TemplateTable.read(template()).ensure(dynamo, settings.table());
        return dynamo;
    }

    /** A DynamoDB client on the shared moto (for tests that read the raw table). */
    public static DynamoDbClient dynamo(Settings settings) {
        return LocalFoley.clients(settings).dynamo();
    }

    public static String tableName(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static AwsClients clients(Settings s) {
        return LocalFoley.clients(s);
    }

    /** The environment that makes a WaveSpeed emulator the provider. */
    public static Map<String, String> wavespeed(dev.foley.provider.emulator.WaveSpeedEmulator emu) {
        return Map.of("FOLEY_PROVIDER", "wavespeed", "WAVESPEED_BASE_URL", emu.baseUrl(), "WAVESPEED_API_KEY", "ws-key");
    }

    /** All of Foley on a table, wired as Lambda wires it (completion in-process), with these providers. */
    public static dev.foley.Foley foley(Settings s, software.amazon.awssdk.services.dynamodb.DynamoDbClient dynamo,
            dev.foley.provider.ProviderChain providers) {
        return foley(s, dynamo, providers, java.time.Clock.systemUTC());
    }

    public static dev.foley.Foley foley(Settings s, software.amazon.awssdk.services.dynamodb.DynamoDbClient dynamo,
            dev.foley.provider.ProviderChain providers, java.time.Clock clock) {
        return foley(s, providers, clock, java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty());
    }

    /** The same, with completion and media steps handed to these, and media work done by {@code media}. */
    public static dev.foley.Foley foley(Settings s, dev.foley.provider.ProviderChain providers, java.time.Clock clock,
            java.util.Optional<dev.foley.Foley.Handoff> completion, java.util.Optional<dev.foley.Foley.Handoff> mediaTrigger,
            java.util.Optional<dev.foley.Foley.MediaMaker> media) {
        var clients = LocalFoley.clients(s);
        LocalFoley.ensureBucket(clients, s.outputsBucket());
        LocalFoley.ensureBucket(clients, s.uploadsBucket());
        // The same wiring as Lambda's and local mode's; the clock (and the sleeper on it) is the test's.
        return dev.foley.Foley.wire(new dev.foley.Foley.Parts(s, clients, providers, clock, dev.foley.time.Sleeper.of(clock),
                dev.foley.prediction.IdGenerator.random(), completion, mediaTrigger, media));
    }

    /** Providers built from an environment exactly as Lambda builds them. */
    public static dev.foley.provider.ProviderChain providers(Map<String, String> env) {
        return providers(env, dev.foley.provider.ProviderHttp.Policies.DEFAULT);
    }

    /** The same, with these call policies (short timeouts, for tests of what happens past them). */
    public static dev.foley.provider.ProviderChain providers(Map<String, String> env, dev.foley.provider.ProviderHttp.Policies policies) {
        return dev.foley.provider.Providers.fromEnv(env, Map.of(), dev.foley.provider.ProviderHttp.standard(), policies,
                java.time.Clock.systemUTC());
    }
}
