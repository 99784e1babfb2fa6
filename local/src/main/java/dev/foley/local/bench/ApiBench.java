package dev.foley.local.bench;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.foley.Foley;
import dev.foley.api.FoleyApi;
import dev.foley.config.Settings;
import dev.foley.functions.api.ApiHandler;
import dev.foley.json.Json;
import dev.foley.local.ApiEvents;
import dev.foley.local.LocalFoley;
import dev.foley.local.MotoServer;
import dev.foley.local.TemplateTable;
import dev.foley.store.ApiKeyStore;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * {@code ./foley bench}: submit and result through the real API handler against the local
 * DynamoDB (moto), warm p50/p99; moto's own latency for the same DynamoDB calls, measured in the
 * same run, so our own time can be told apart from the emulator's; and the first request of a
 * fresh JVM.
 */
public final class ApiBench {

    static final String KEY = "fk_bench-key-0123456789abcdef";

    private ApiBench() {
    }

    public static void run(Path data, URI endpointOrNull, int n, PrintStream out) throws Exception {
        MotoServer moto = null;
        URI endpoint = endpointOrNull;
        if (endpoint == null) {
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            moto = MotoServer.start(MotoServer.findOrInstall(data, out), port, data.resolve("moto-bench.log"));
            endpoint = moto.endpoint();
        }
        try {
            Map<String, String> env = new HashMap<>();
            env.put("FOLEY_TABLE", "foley-bench-" + System.nanoTime());
            env.put("AWS_REGION", "us-east-1");
            env.put("AWS_ENDPOINT_URL", endpoint.toString());
            Settings s = Settings.fromEnv(env);
            DynamoDbClient dynamo = LocalFoley.clients(s).dynamo();
            TemplateTable.read(dev.foley.local.FoleyCli.home().resolve("template.yaml")).ensure(dynamo, s.table());
            new ApiKeyStore(dynamo, s.table(), Clock.systemUTC()).create("bench", KEY);
            // Submit runs its real provider call against a stand-in that answers at once on loopback.
            List<AutoCloseable> owned = new ArrayList<>();
            ProviderStandIn standIn = new ProviderStandIn();
            owned.add(standIn);
            Map<String, String> providerEnv = Map.of("FOLEY_PROVIDER", "wavespeed", "WAVESPEED_BASE_URL", standIn.baseUrl(),
                    "WAVESPEED_API_KEY", "bench");
            var providers = LocalFoley.providers(providerEnv, data, owned);
            var clients = LocalFoley.clients(s);
            ApiHandler handler = new ApiHandler(Foley.wire(s, dynamo, dev.foley.aws.Lazy.of(clients::s3), dev.foley.aws.Lazy.of(clients::presigner), providers,
                    Clock.systemUTC()).api());

            String body = "{\"video\":\"https://cdn.example.com/bounce-4s.mp4\",\"prompt\":\"a ball bounces on wood\",\"duration\":4}";
            int warm = Math.max(200, n / 4);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < warm; i++) {
                ids.add(submit(handler, body));
                result(handler, ids.get(i));
            }
            long[] submit = new long[n];
            long[] result = new long[n];
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                String id = submit(handler, body);
                submit[i] = System.nanoTime() - t0;
                ids.add(id);
            }
            for (int i = 0; i < n; i++) {
                String id = ids.get(warm + i);
                long t0 = System.nanoTime();
                result(handler, id);
                result[i] = System.nanoTime() - t0;
            }
            // moto's own time for the calls each request makes: one PutItem (submit; the key is cached)
            // and one consistent GetItem (result).
            long[] put = new long[n];
            long[] get = new long[n];
            for (int i = 0; i < n; i++) {
                Map<String, AttributeValue> item = Map.of("PK", AttributeValue.fromS("B#" + i), "SK", AttributeValue.fromS("P"),
                        "input", AttributeValue.fromS(body));
                long t0 = System.nanoTime();
                dynamo.putItem(r -> r.tableName(s.table()).item(item).conditionExpression("attribute_not_exists(PK)"));
                put[i] = System.nanoTime() - t0;
            }
            for (int i = 0; i < n; i++) {
                int k = i;
                long t0 = System.nanoTime();
                dynamo.getItem(r -> r.tableName(s.table()).consistentRead(true)
                        .key(Map.of("PK", AttributeValue.fromS("B#" + k), "SK", AttributeValue.fromS("P"))));
                get[i] = System.nanoTime() - t0;
            }
            // The provider call alone: the same adapter and HTTP client against the stand-in.
            var provider = providers.primary();
            var req = new dev.foley.prediction.RequestValidator(new dev.foley.net.UrlPolicy(false)).validate(
                    dev.foley.prediction.Kind.VIDEO, Json.parse(body));
            long[] call = new long[n];
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                provider.submit(req, java.util.Optional.empty());
                call[i] = System.nanoTime() - t0;
            }
            // moto alone for the submit's second write: the conditional accepted -> submitted UpdateItem.
            long[] update = new long[n];
            for (int i = 0; i < n; i++) {
                int k = i;
                long t0 = System.nanoTime();
                dynamo.updateItem(r -> r.tableName(s.table())
                        .key(Map.of("PK", AttributeValue.fromS("B#" + k), "SK", AttributeValue.fromS("P")))
                        .updateExpression("SET #p = :p, #v = :v, due_at = :d").conditionExpression("attribute_exists(PK)")
                        .expressionAttributeNames(Map.of("#p", "phase", "#v", "version"))
                        .expressionAttributeValues(Map.of(":p", AttributeValue.fromS("submitted"), ":v", AttributeValue.fromN("2"),
                                ":d", AttributeValue.fromN("1")))
                        .returnValues(software.amazon.awssdk.services.dynamodb.model.ReturnValue.ALL_NEW));
                update[i] = System.nanoTime() - t0;
            }
            out.printf("%n%d warm requests each, after %d warm-up; times in ms%n%n", n, warm);
            out.println("(submit includes its provider call to a stand-in answering at once on 127.0.0.1)");
            out.println();
            out.println("| operation | p50 | p99 | mean |");
            out.println("| --- | --- | --- | --- |");
            row(out, "submit (handler, incl. DynamoDB)", submit);
            row(out, "result (handler, incl. DynamoDB)", result);
            row(out, "moto PutItem alone", put);
            row(out, "moto GetItem alone", get);
            row(out, "moto UpdateItem alone (the submitted transition)", update);
            row(out, "provider call alone (stand-in on loopback)", call);
            out.printf("| submit, our own time (p50 submit - p50 PutItem - p50 UpdateItem - p50 provider call) | %.2f | | |%n",
                    (pct(submit, 50) - pct(put, 50) - pct(update, 50) - pct(call, 50)) / 1e6);
            out.printf("| result, our own time (p50 result - p50 GetItem) | %.2f | | |%n", (pct(result, 50) - pct(get, 50)) / 1e6);

            out.println();
            out.println("first request of a fresh JVM (java -XX:TieredStopAtLevel=1, no CDS), 5 runs:");
            List<Long> firsts = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                firsts.add(FirstRequest.spawn(endpoint, s.table(), standIn.baseUrl(), out));
            }
            firsts.sort(Long::compare);
            out.printf("| first request, JVM start to response (median of 5) | %d ms | (min %d, max %d) |%n",
                    firsts.get(2), firsts.get(0), firsts.get(4));
            dynamo.close();
            for (AutoCloseable c : owned) {
                c.close();
            }
        } finally {
            if (moto != null) {
                moto.close();
            }
        }
    }

    static String submit(ApiHandler h, String body) {
        APIGatewayV2HTTPResponse r = h.handleRequest(ApiEvents.authed(KEY, "POST", FoleyApi.SUBMIT_VIDEO, body), null);
        if (r.getStatusCode() != 200) {
            throw new IllegalStateException("submit answered " + r.getStatusCode() + ": " + r.getBody());
        }
        return Json.parse(r.getBody()).at("/data/id").asText();
    }

    static void result(ApiHandler h, String id) {
        APIGatewayV2HTTPResponse r = h.handleRequest(ApiEvents.authed(KEY, "GET", "/api/v3/predictions/" + id + "/result", null), null);
        if (r.getStatusCode() != 200) {
            throw new IllegalStateException("result answered " + r.getStatusCode());
        }
    }

    static double pct(long[] xs, int p) {
        long[] s = xs.clone();
        Arrays.sort(s);
        int i = (int) Math.ceil(p / 100.0 * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, i))];
    }

    static void row(PrintStream out, String name, long[] xs) {
        out.printf("| %s | %.2f | %.2f | %.2f |%n", name, pct(xs, 50) / 1e6, pct(xs, 99) / 1e6,
                Arrays.stream(xs).average().orElse(0) / 1e6);
    }
}
