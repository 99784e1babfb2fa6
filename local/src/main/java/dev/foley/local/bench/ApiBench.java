package dev.foley.local.bench;

import dev.foley.Foley;
import dev.foley.api.FoleyApi;
import dev.foley.config.Settings;
import dev.foley.functions.api.ApiHandler;
import dev.foley.json.Json;
import dev.foley.local.ApiEvents;
import dev.foley.local.LocalFoley;
import dev.foley.local.LocalAws;
import dev.foley.local.TemplateTable;
import dev.foley.store.ApiKeyStore;
import java.io.PrintStream;
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
        try (LocalAws aws = LocalAws.open(java.util.Optional.ofNullable(endpointOrNull), data, 0, data.resolve("moto-bench.log"), out)) {
            URI endpoint = aws.endpoint();
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
            ApiHandler handler = new ApiHandler(LocalFoley.wire(s, providers, java.util.Optional.empty()).api());

            String body = "{\"video\":\"https://cdn.example.com/bounce-4s.mp4\",\"prompt\":\"a ball bounces on wood\",\"duration\":4}";
            int warm = Math.max(200, n / 4);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < warm; i++) {
                ids.add(submit(handler, body));
                result(handler, ids.get(i));
            }
            // moto's own time for the writes each submit makes, made by the same store on identical
            // predictions: the claimed create (one PutItem, the key is cached), the record of the job
            // (one conditional UpdateItem), the provider call alone, and the result's one consistent
            // GetItem. Each is timed right beside the request it explains (interleaved, not in a later
            // phase), so a neighbour slowing the machine down shifts both sides of the subtraction.
            var store = new dev.foley.store.PredictionStore(dynamo, s.table(), Clock.systemUTC(), s.dueShards(), s.retention());
            var req = new dev.foley.prediction.RequestValidator(new dev.foley.net.UrlPolicy(false)).validate(
                    dev.foley.prediction.Kind.VIDEO, Json.parse(body));
            var provider = providers.primary();
            var cpu = java.lang.management.ManagementFactory.getThreadMXBean();
            long[] submit = new long[n];
            long[] submitCpu = new long[n];
            long[] result = new long[n];
            long[] resultCpu = new long[n];
            long[] put = new long[n];
            long[] get = new long[n];
            long[] call = new long[n];
            long[] update = new long[n];
            List<dev.foley.prediction.Prediction> made = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                long c0 = cpu.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                String id = submit(handler, body);
                submit[i] = System.nanoTime() - t0;
                submitCpu[i] = cpu.getCurrentThreadCpuTime() - c0;
                ids.add(id);

                var p = dev.foley.prediction.Prediction.accepted(dev.foley.prediction.IdGenerator.random().next(), "bench", req, null,
                        java.time.Instant.now()).withKeyHash("h").claimedForSubmit("bench", java.time.Instant.now().plusSeconds(40));
                t0 = System.nanoTime();
                store.create(p, null);
                put[i] = System.nanoTime() - t0;
                made.add(p);
                t0 = System.nanoTime();
                provider.submit(req, java.util.Optional.empty(), dev.foley.time.Deadline.NONE);
                call[i] = System.nanoTime() - t0;
                var job = dev.foley.prediction.ProviderJob.of("wavespeed", "bench-job-" + i);
                t0 = System.nanoTime();
                store.moves().recordSubmitted(p, job, java.time.Instant.now().plusSeconds(5), List.of("wavespeed: accepted as job " + job.id()));
                update[i] = System.nanoTime() - t0;
            }
            for (int i = 0; i < n; i++) {
                String id = ids.get(warm + i);
                long c0 = cpu.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                result(handler, id);
                result[i] = System.nanoTime() - t0;
                resultCpu[i] = cpu.getCurrentThreadCpuTime() - c0;
                t0 = System.nanoTime();
                store.get(made.get(i).id());
                get[i] = System.nanoTime() - t0;
            }
            out.printf("%n%d warm requests each, after %d warm-up; times in ms%n%n", n, warm);
            out.println("(submit includes its provider call to a stand-in answering at once on 127.0.0.1)");
            out.println();
            out.println("| operation | p50 | p99 | mean |");
            out.println("| --- | --- | --- | --- |");
            row(out, "submit (handler, incl. DynamoDB)", submit);
            row(out, "result (handler, incl. DynamoDB)", result);
            row(out, "store create alone (moto PutItem of a claimed prediction)", put);
            row(out, "store get alone (moto consistent GetItem)", get);
            row(out, "store record alone (moto UpdateItem: submitted, the job)", update);
            row(out, "provider call alone (stand-in on loopback)", call);
            out.printf("| submit, our own time (p50 submit - p50 create - p50 record - p50 provider call) | %.2f | | |%n",
                    (pct(submit, 50) - pct(put, 50) - pct(update, 50) - pct(call, 50)) / 1e6);
            out.printf("| result, our own time (p50 result - p50 get) | %.2f | | |%n", (pct(result, 50) - pct(get, 50)) / 1e6);
            row(out, "submit, CPU time of the handler's thread (incl. the SDK's and HTTP clients' work)", submitCpu);
            row(out, "result, CPU time of the handler's thread", resultCpu);

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
        }
    }

    /** Calls the handler as the Lambda runtime does: with the event's JSON read into a map. */
    static String submit(ApiHandler h, String body) {
        var r = h.handleRequest(ApiEvents.authed(KEY, "POST", FoleyApi.SUBMIT_VIDEO, body), null);
        if (r.getStatusCode() != 200) {
            throw new IllegalStateException("submit answered " + r.getStatusCode() + ": " + r.getBody());
        }
        return Json.parse(r.getBody()).at("/data/id").asText();
    }

    static void result(ApiHandler h, String id) {
        var r = h.handleRequest(ApiEvents.authed(KEY, "GET", "/api/v3/predictions/" + id + "/result", null), null);
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
