package dev.foley.local.pipeline;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/** A client's webhook endpoint for tests: records every delivery, answers scripted statuses (200 by default). */
public final class WebhookReceiver implements AutoCloseable {

    public record Received(Map<String, String> headers, byte[] body) {
    }

    private final HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Deque<Integer> statuses = new ArrayDeque<>();
    private volatile java.util.concurrent.CountDownLatch hold;

    public WebhookReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", ex -> {
            try (ex) {
                byte[] body = ex.getRequestBody().readAllBytes();
                Map<String, String> h = new TreeMap<>();
                ex.getRequestHeaders().forEach((k, v) -> h.put(k.toLowerCase(Locale.ROOT), v.get(0)));
                received.add(new Received(h, body));
                var h0 = hold;
                if (h0 != null) {
                    try {
                        h0.await(); // a receiver that takes its time answering
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                int status;
                synchronized (statuses) {
                    status = statuses.isEmpty() ? 200 : statuses.poll();
                }
                if (status == 302) {
                    ex.getResponseHeaders().set("location", "http://127.0.0.1:1/elsewhere");
                }
                ex.sendResponseHeaders(status, -1);
            }
        });
        server.start();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** Deliveries are answered only once {@code release} is counted down. */
    public void holdUntil(java.util.concurrent.CountDownLatch release) {
        hold = release;
    }

    /** The next deliveries answer these statuses, in order; then 200. */
    public void answer(Integer... codes) {
        synchronized (statuses) {
            statuses.addAll(List.of(codes));
        }
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
