package dev.foley.aws;

import static org.junit.jupiter.api.Assertions.*;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** A signed call's retries wait through the injected sleeper, never by sleeping themselves. */
class SignedHttpSleeperTest {

    @Test
    void aServiceThatAnswers503IsAskedAgainAfterWaitsTheSleeperIsAskedFor() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            int n = calls.incrementAndGet();
            byte[] body = "{}".getBytes();
            ex.sendResponseHeaders(n < 3 ? 503 : 200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        try {
            Instant start = Instant.parse("2026-12-07T10:00:00Z");
            Clock clock = Clock.fixed(start, java.time.ZoneOffset.UTC);
            List<Duration> waits = new ArrayList<>();
            var http = new SignedHttp(StaticCredentialsProvider.create(AwsBasicCredentials.create("id", "secret")), "us-east-1",
                    Duration.ofSeconds(2), Duration.ofSeconds(5), clock, t -> waits.add(Duration.between(start, t)));
            var a = http.send("lambda", "POST", URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/invoke"), Map.of(),
                    new byte[0]);
            assertEquals(200, a.status());
            assertEquals(3, calls.get());
            assertEquals(2, waits.size(), "one wait before each retry: " + waits);
            assertTrue(waits.get(0).toMillis() >= 100 && waits.get(0).toMillis() < 400, "the first back-off: " + waits);
            assertTrue(waits.get(1).toMillis() >= 200 && waits.get(1).toMillis() < 800, "doubled: " + waits);
        } finally {
            server.stop(0);
        }
    }
}
