package dev.foley.local.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.Executors;

/**
 * For benchmarks only: answers a WaveSpeed submit at once on 127.0.0.1, so the submit path runs
 * its real provider call (HTTP, JSON, the store transition) without a remote service's latency.
 */
final class ProviderStandIn implements AutoCloseable {

    private final HttpServer server;

    ProviderStandIn() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", ex -> {
            try (ex) {
                ex.getRequestBody().readAllBytes();
                String id = UUID.randomUUID().toString().replace("-", "");
                byte[] body = ("{\"code\":200,\"message\":\"success\",\"data\":{\"id\":\"" + id
                        + "\",\"status\":\"created\",\"outputs\":[]}}").getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("content-type", "application/json");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
        });
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
