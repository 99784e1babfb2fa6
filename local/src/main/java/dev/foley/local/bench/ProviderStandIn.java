package dev.foley.local.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * For benchmarks only: a WaveSpeed-shaped provider on 127.0.0.1 that answers at once, so the
 * pipeline's own time is what gets measured. Jobs run until {@link #markDone}; outputs are
 * generated on the fly (any size, never held in memory).
 */
final class ProviderStandIn implements AutoCloseable {

    private final HttpServer server;
    private final Set<String> done = ConcurrentHashMap.newKeySet();
    private volatile long fileSize = 64 * 1024;

    ProviderStandIn() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 512);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", ex -> {
            try (ex) {
                ex.getRequestBody().readAllBytes();
                String path = ex.getRequestURI().getPath();
                if (path.startsWith("/files/")) {
                    serveFile(ex.getResponseBody(), ex);
                    return;
                }
                String id;
                String status;
                if (ex.getRequestMethod().equals("POST")) {
                    id = UUID.randomUUID().toString().replace("-", "");
                    status = "created";
                } else {
                    id = path.split("/")[4];
                    status = done.contains(id) ? "completed" : "processing";
                }
                String outputs = status.equals("completed") ? "\"" + baseUrl() + "/files/" + id + ".mp4\"" : "";
                byte[] body = ("{\"code\":200,\"message\":\"success\",\"data\":{\"id\":\"" + id + "\",\"status\":\"" + status
                        + "\",\"outputs\":[" + outputs + "],\"has_nsfw_contents\":[false],\"timings\":{\"inference\":1000}}}")
                        .getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("content-type", "application/json");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
        });
        server.start();
    }

    void markDone(String jobId) {
        done.add(jobId);
    }

    void fileSize(long bytes) {
        fileSize = bytes;
    }

    private void serveFile(OutputStream out, com.sun.net.httpserver.HttpExchange ex) throws IOException {
        long size = fileSize;
        ex.getResponseHeaders().set("content-type", "video/mp4");
        ex.sendResponseHeaders(200, size);
        byte[] chunk = new byte[64 * 1024];
        Random r = new Random(size);
        for (long left = size; left > 0; left -= chunk.length) {
            r.nextBytes(chunk);
            out.write(chunk, 0, (int) Math.min(chunk.length, left));
        }
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
