package dev.foley.local.bench;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;

/**
 * {@code ./foley bench startup}: each function's zip as Lambda gets it (classes at the root, jars
 * in lib/), started in a fresh JVM from that zip alone: the handler built by its no-argument
 * constructor from the environment, one event handled. Reports zip size, time from JVM start to
 * the answer, and classes loaded by then.
 */
public final class HandlerStartup {

    private HandlerStartup() {
    }

    /** Runs inside the fresh JVM: args = handler class, event kind. */
    public static void main(String[] args) throws Exception {
        Class<?> c = Class.forName(args[0]);
        Object handler = c.getConstructor().newInstance();
        // What the runtime would hand over: the API's and S3's typed events (from the zip's own events
        // library), the schedule's and an async invoke's JSON as maps.
        Object event = switch (args[1]) {
            case "api" -> Typed.api();
            case "poller" -> Map.of("source", "aws.events", "detail-type", "Scheduled Event");
            case "completion" -> Map.of("prediction_id", "0123456789abcdef0123456789abcdef");
            default -> Typed.s3();
        };
        Object out = c.getMethod("handleRequest", Object.class, com.amazonaws.services.lambda.runtime.Context.class)
                .invoke(handler, event, null);
        long ms = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
        System.out.println("STARTUP ms=" + ms + " classes=" + ManagementFactory.getClassLoadingMXBean().getLoadedClassCount()
                + " answer=" + String.valueOf(out).substring(0, Math.min(60, String.valueOf(out).length())).replace('\n', ' '));
    }

    /** The typed events, apart: loaded only in the JVMs whose zip carries the events library. */
    static final class Typed {
        static Object api() {
            return com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent.builder()
                    .withRawPath("/api/v3/wavespeed-ai/mmaudio-v2").withRawQueryString("")
                    .withHeaders(Map.of("authorization", "Bearer " + PipelineBench.KEY, "content-type", "application/json"))
                    .withBody("{\"video\":\"https://cdn.example.com/a.mp4\",\"prompt\":\"first\",\"duration\":4}")
                    .withIsBase64Encoded(false)
                    .withRequestContext(com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent.RequestContext.builder()
                            .withHttp(com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent.RequestContext.Http.builder()
                                    .withMethod("POST").build())
                            .withDomainName("bench").withRequestId("r").build())
                    .build();
        }

        static Object s3() {
            return new com.amazonaws.services.lambda.runtime.events.S3Event(List.of());
        }
    }

    public static void run(URI endpoint, PrintStream out) throws Exception {
        try (PipelineBench.Stack st = PipelineBench.stack(endpoint, "startup")) {
            out.println();
            out.println("| function | zip size | JVM start → first answer (median of 3) | classes loaded |");
            out.println("| --- | --- | --- | --- |");
            // The poller first, while nothing is due: its run then ends after one tick, as an idle minute does.
            for (String[] f : new String[][] {{"poller", "dev.foley.functions.poller.PollerHandler"},
                    {"api", "dev.foley.functions.api.ApiHandler"},
                    {"completion", "dev.foley.functions.completion.CompletionHandler"},
                    {"ingest", "dev.foley.functions.ingest.IngestHandler"}}) {
                Path zip = dev.foley.local.FoleyCli.home().resolve(Path.of("functions", f[0], "target", f[0] + ".zip"));
                Path dir = unzip(zip);
                // The zip alone, plus this one harness class: a dependency missing from the zip fails here.
                String cp = dir + java.io.File.pathSeparator + dir.resolve("lib") + "/*" + java.io.File.pathSeparator + harness();
                List<Long> times = new ArrayList<>();
                String classes = "?";
                for (int i = 0; i < 3; i++) {
                    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
                    ProcessBuilder pb = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", cp,
                            HandlerStartup.class.getName(), f[1], f[0]).redirectErrorStream(true);
                    Map<String, String> env = pb.environment();
                    env.put("FOLEY_TABLE", st.settings().table());
                    env.put("AWS_REGION", "us-east-1");
                    env.put("AWS_ENDPOINT_URL", endpoint.toString());
                    env.put("AWS_ACCESS_KEY_ID", "foley");
                    env.put("AWS_SECRET_ACCESS_KEY", "local");
                    env.put("FOLEY_PROVIDER", "wavespeed");
                    env.put("WAVESPEED_BASE_URL", st.provider().baseUrl());
                    env.put("WAVESPEED_API_KEY", "bench");
                    env.put("FOLEY_OUTPUTS_BUCKET", "bench-outputs");
                    env.put("FOLEY_STRICT_URLS", "false");
                    Process p = pb.start();
                    String text = new String(p.getInputStream().readAllBytes());
                    p.waitFor();
                    String line = text.lines().filter(l -> l.startsWith("STARTUP")).findFirst()
                            .orElseThrow(() -> new IllegalStateException(f[0] + " did not start:\n" + text));
                    times.add(Long.parseLong(line.replaceAll(".*ms=(\\d+).*", "$1")));
                    classes = line.replaceAll(".*classes=(\\d+).*", "$1");
                }
                Collections.sort(times);
                out.printf("| %s | %.1f MB | %d ms | %s |%n", f[0], Files.size(zip) / 1e6, times.get(1), classes);
            }
        }
    }

    /** A folder holding only this class, so nothing but the zip supplies the function's classes. */
    private static Path harness() throws Exception {
        Path dir = Files.createTempDirectory("foley-harness");
        for (String name : List.of("HandlerStartup.class", "HandlerStartup$Typed.class")) {
            Path f = dir.resolve("dev/foley/local/bench/" + name);
            Files.createDirectories(f.getParent());
            try (var in = HandlerStartup.class.getResourceAsStream(name)) {
                Files.write(f, in.readAllBytes());
            }
        }
        return dir;
    }

    private static Path unzip(Path zip) throws Exception {
        return unzip(zip, Files.createTempDirectory("foley-zip"));
    }

    /** Unpacks a Lambda zip (or layer) into {@code dir}, as the runtime lays it out; an entry that would land outside is refused. */
    public static Path unzip(Path zip, Path dir) throws java.io.IOException {
        try (ZipFile z = new ZipFile(zip.toFile())) {
            for (var e : Collections.list(z.entries())) {
                Path out = dir.resolve(e.getName()).normalize();
                if (!out.startsWith(dir)) {
                    throw new java.io.IOException(zip + ": " + e.getName() + " would land outside " + dir);
                }
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                } else {
                    Files.createDirectories(out.getParent());
                    try (var in = z.getInputStream(e)) {
                        Files.copy(in, out);
                    }
                }
            }
        }
        return dir;
    }
}
