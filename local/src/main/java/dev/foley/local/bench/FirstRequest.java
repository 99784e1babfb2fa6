package dev.foley.local.bench;

import dev.foley.functions.api.ApiHandler;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Run in a fresh JVM by {@link ApiBench}: builds the API handler exactly as Lambda does (the
 * no-argument constructor, configuration from the environment), serves one submit, and prints
 * the time from JVM start to the response and the classes loaded by then.
 */
public final class FirstRequest {

    private FirstRequest() {
    }

    public static void main(String[] args) {
        ApiHandler handler = new ApiHandler();
        String id = ApiBench.submit(handler,
                "{\"video\":\"https://cdn.example.com/bounce-4s.mp4\",\"prompt\":\"first request\",\"duration\":4}");
        long ms = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
        int classes = ManagementFactory.getClassLoadingMXBean().getLoadedClassCount();
        System.out.println("FIRST_REQUEST_MS=" + ms + " CLASSES=" + classes + " ID=" + id);
    }

    /** Starts a JVM running {@link #main} and returns its first-request time in ms. */
    static long spawn(URI endpoint, String table, String providerBase, PrintStream out) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
                "-cp", System.getProperty("java.class.path"), FirstRequest.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("FOLEY_TABLE", table);
        // Its log lines written as on Lambda (every level, JSON), so their cost is in the figure.
        pb.environment().put("FOLEY_LOG_FILE", System.getProperty("java.io.tmpdir") + "/foley-bench-first.log");
        pb.environment().put("AWS_REGION", "us-east-1");
        pb.environment().put("AWS_ENDPOINT_URL", endpoint.toString());
        pb.environment().put("AWS_ACCESS_KEY_ID", "foley");
        pb.environment().put("AWS_SECRET_ACCESS_KEY", "local");
        pb.environment().put("FOLEY_PROVIDER", "wavespeed");
        pb.environment().put("WAVESPEED_BASE_URL", providerBase);
        pb.environment().put("WAVESPEED_API_KEY", "bench");
        Process p = pb.start();
        String text = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        for (String line : text.split("\n")) {
            if (line.startsWith("FIRST_REQUEST_MS=")) {
                out.println("  " + line);
                return Long.parseLong(line.substring("FIRST_REQUEST_MS=".length()).split(" ")[0]);
            }
        }
        throw new IllegalStateException("first-request JVM printed no result:\n" + text);
    }
}
