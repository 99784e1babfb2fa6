package dev.foley.local.bench;

import dev.foley.config.Settings;
import dev.foley.local.LocalFoley;
import dev.foley.store.OutputStore;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.PredictionRequest;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Copies a 500 MB provider output into S3 (moto) in a JVM limited to a 64 MB heap, and reports
 * the heap's high-water mark: if the copy held the file in memory it could not finish at all.
 */
public final class CopyBench {

    static final long SIZE = 500L * 1000 * 1000;

    private CopyBench() {
    }

    public static void main(String[] args) throws Exception {
        URI endpoint = URI.create(args[0]);
        String source = args[1];
        Settings s = Settings.fromEnv(Map.of("AWS_REGION", "us-east-1", "AWS_ENDPOINT_URL", endpoint.toString(),
                "FOLEY_OUTPUTS_BUCKET", "bench-copy"));
        var clients = LocalFoley.clients(s);
        var s3 = LocalFoley.sdkS3(s);
        try {
            s3.createBucket(r -> r.bucket("bench-copy"));
        } catch (RuntimeException exists) {
            // fine
        }
        var store = new dev.foley.pipeline.OutputCopy(new OutputStore(clients.s3(), "bench-copy", Duration.ofHours(1),
                Optional.empty()), new dev.foley.net.PinnedHttp(false));
        var req = new PredictionRequest(Kind.VIDEO, "https://x/a.mp4", "p", "", 25, 8, 4.5, false, null, false);
        Prediction p = Prediction.builder("0123456789abcdef0123456789abcdef", "k", req, Instant.now())
                .phase(dev.foley.prediction.Phase.UPSTREAM_DONE).upstreamOutputs(List.of(source)).build();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            pool.resetPeakUsage();
        }
        long t0 = System.nanoTime();
        List<String> keys = store.copy(p, dev.foley.time.Deadline.NONE);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        long size = s3.headObject(r -> r.bucket("bench-copy").key(keys.get(0))).contentLength();
        System.out.printf("COPY size=%d seconds=%.1f peakHeapMB=%.1f maxHeapMB=%.0f%n", size, seconds, peak / 1048576.0,
                Runtime.getRuntime().maxMemory() / 1048576.0);
    }

    static void spawn(URI endpoint, PrintStream out) throws Exception {
        try (ProviderStandIn source = new ProviderStandIn()) {
            source.fileSize(SIZE);
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> cmd = new ArrayList<>(List.of(java, "-Xmx64m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                    CopyBench.class.getName(), endpoint.toString(), source.baseUrl() + "/files/big.mp4"));
            Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String text = new String(proc.getInputStream().readAllBytes());
            int rc = proc.waitFor();
            out.println();
            out.println("copy of a 500 MB output to S3 in a JVM with -Xmx64m (exit " + rc + "):");
            for (String line : text.split("\n")) {
                if (line.startsWith("COPY") || rc != 0) {
                    out.println("  " + line);
                }
            }
        }
    }
}
