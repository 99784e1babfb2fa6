package dev.foley.provider;

import static org.junit.jupiter.api.Assertions.*;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A provider call's back-off waits through the injected sleeper, on the injected clock: a server
 * that answers 503 twice (the second with {@code Retry-After: 1}) then 200; the sleeper records
 * each wait and returns at once, so the test neither waits nor depends on the wall clock.
 */
class ProviderHttpSleeperTest {

    @Test
    void backOffsAreAskedOfTheSleeperNotTheWallClock() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
        server.createContext("/", ex -> {
            try (ex) {
                int n = calls.incrementAndGet();
                if (n == 2) {
                    ex.getResponseHeaders().set("retry-after", "1");
                }
                byte[] body = "{\"ok\":true}".getBytes();
                ex.sendResponseHeaders(n <= 2 ? 503 : 200, body.length);
                ex.getResponseBody().write(body);
            }
        });
        server.start();
        try {
            Instant t0 = Instant.parse("2026-12-07T00:00:00Z");
            Clock clock = Clock.fixed(t0, ZoneOffset.UTC);
            List<Instant> waits = new CopyOnWriteArrayList<>();
            var http = new ProviderHttp(Duration.ofSeconds(2), clock, waits::add);
            var policy = new ProviderHttp.Policy(3, Duration.ofMillis(200), Duration.ofSeconds(2), Duration.ofSeconds(5));
            var r = http.call("test", () -> HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/x")).GET(),
                    true, policy);
            assertEquals(200, r.status());
            assertEquals(3, calls.get());
            assertEquals(2, waits.size(), "one wait before each retry, asked of the sleeper: " + waits);
            assertTrue(!waits.get(0).isBefore(t0) && !waits.get(0).isAfter(t0.plusMillis(200)), "full jitter up to the base delay: " + waits);
            assertEquals(t0.plusSeconds(1), waits.get(1), "Retry-After: 1 is honoured, on the injected clock");
        } finally {
            server.stop(0);
        }
    }
}
