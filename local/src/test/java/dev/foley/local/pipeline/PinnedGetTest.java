package dev.foley.local.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import com.sun.net.httpserver.HttpServer;
import dev.foley.local.Moto;
import dev.foley.net.PinnedHttp;
import dev.foley.pipeline.OutputCopy;
import dev.foley.store.OutputStore;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.PredictionRequest;
import dev.foley.provider.emulator.ProviderEmulator;
import dev.foley.provider.emulator.WaveSpeedEmulator;
import dev.foley.time.Deadline;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Foley's own GET (provider outputs): bodies as sent, redirects followed and re-checked, stalls cut short. */
@ExtendWith(Moto.class)
class PinnedGetTest {

    HttpServer server;
    String base;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/sized", ex -> {
            byte[] b = "0123456789".repeat(1000).getBytes();
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.createContext("/chunked", ex -> {
            ex.sendResponseHeaders(200, 0); // JDK server: 0 = chunked
            try (OutputStream out = ex.getResponseBody()) {
                for (int i = 0; i < 50; i++) {
                    out.write(("part" + i + ";").getBytes());
                    out.flush();
                }
            }
        });
        server.createContext("/hop", ex -> {
            ex.getResponseHeaders().set("location", "/sized");
            ex.sendResponseHeaders(302, -1);
            ex.close();
        });
        server.createContext("/elsewhere", ex -> {
            int port = server.getAddress().getPort();
            ex.getResponseHeaders().set("location", "http://127.0.0.2:" + port + "/sized");
            ex.sendResponseHeaders(301, -1);
            ex.close();
        });
        server.createContext("/stall", ex -> {
            ex.sendResponseHeaders(200, 1000);
            ex.getResponseBody().write(new byte[10]);
            ex.getResponseBody().flush();
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    static String read(PinnedHttp.Response r) throws Exception {
        try (r; InputStream in = r.body()) {
            return new String(in.readAllBytes());
        }
    }

    @Test
    void sizedAndChunkedBodiesArriveWhole() throws Exception {
        var http = new PinnedHttp(false);
        var until = Deadline.in(Clock.systemUTC(), Duration.ofSeconds(10));
        assertEquals("0123456789".repeat(1000), read(http.get(URI.create(base + "/sized"), Map.of(), Duration.ofSeconds(5), until)));
        StringBuilder want = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            want.append("part").append(i).append(';');
        }
        assertEquals(want.toString(), read(http.get(URI.create(base + "/chunked"), Map.of(), Duration.ofSeconds(5), until)));
    }

    @Test
    void aRedirectIsFollowedOnlyToAnAddressThatPassesTheCheck() throws Exception {
        // 127.0.0.1 stands for a public address here, 127.0.0.2 for a private one.
        var http = new PinnedHttp(a -> a.getHostAddress().equals("127.0.0.1"));
        var until = Deadline.in(Clock.systemUTC(), Duration.ofSeconds(10));
        assertEquals(10_000, read(http.get(URI.create(base + "/hop"), Map.of(), Duration.ofSeconds(5), until)).length());
        var refused = assertThrows(PinnedHttp.FetchException.class,
                () -> http.get(URI.create(base + "/elsewhere"), Map.of(), Duration.ofSeconds(5), until));
        assertTrue(refused.refused(), "a redirect to a refused address is refused, not followed");
        assertTrue(refused.getMessage().contains("not a public address"), refused.getMessage());
        assertFalse(refused.getMessage().contains("port"), "no port state in the error: " + refused.getMessage());
    }

    @Test
    void aStalledBodyFailsInsteadOfHanging() throws Exception {
        var http = new PinnedHttp(false);
        var r = http.get(URI.create(base + "/stall"), Map.of(), Duration.ofMillis(300), Deadline.in(Clock.systemUTC(), Duration.ofSeconds(10)));
        assertEquals(200, r.status());
        assertThrows(java.io.IOException.class, () -> read(r), "no byte for 300 ms: the read times out");
    }

    @Test
    void aStalledOutputDownloadIsRetriedAndTheCopyCompletes() throws Exception {
        var s = Moto.settings(Moto.tableName("stall"), Map.of("FOLEY_OUTPUTS_BUCKET", "stall-" + Moto.tableName("o").toLowerCase()));
        var clients = dev.foley.local.LocalFoley.clients(s);
        dev.foley.local.LocalFoley.ensureBucket(clients, s.outputsBucket());
        try (WaveSpeedEmulator emu = new WaveSpeedEmulator("k")) {
            var store = new OutputCopy(new OutputStore(clients.s3(), s.outputsBucket(), Duration.ofHours(1),
                    Optional.empty()), new PinnedHttp(false), Duration.ofMillis(300));
            var req = new PredictionRequest(Kind.VIDEO, "https://x/a.mp4", "p", "", 25, 4, 4.5, false, null, false);
            Prediction p = Prediction.builder("0123456789abcdef0123456789abcdef", "k", req, Instant.now())
                    .phase(Phase.UPSTREAM_DONE).upstreamOutputs(List.of(emu.outputUrl("j1", "mp4"))).build();
            emu.stallFiles(1);
            var e = assertThrows(OutputCopy.CopyException.class, () -> store.copy(p, Deadline.NONE));
            assertTrue(e.retryable(), e.getMessage());
            List<String> keys = store.copy(p, Deadline.NONE);
            byte[] copied = dev.foley.local.LocalFoley.sdkS3(s).getObjectAsBytes(r -> r.bucket(s.outputsBucket()).key(keys.get(0))).asByteArray();
            assertArrayEquals(ProviderEmulator.fileBytes("j1.mp4"), copied);
        }
    }
}
