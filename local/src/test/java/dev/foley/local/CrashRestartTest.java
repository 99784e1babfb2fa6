package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.foley.json.Json;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of {@code ./foley serve} with predictions in flight, then a restart on the same
 * AWS endpoint and data folder: every prediction completes, each is charged once and gets one
 * webhook. Done twice, at two moments (some done, most still queued or running; then soon after
 * the restart, while the re-driven work is under way).
 */
@ExtendWith(Moto.class)
class CrashRestartTest {

    @TempDir
    Path tmp;

    private static final int VIDEOS = 16;
    private static final int TEXTS = 8;

    @Test
    void aKilledServeRestartedOnTheSameEndpointLosesNothing() throws Exception {
        byte[] clip;
        try (InputStream in = CrashRestartTest.class.getResourceAsStream("/media/bounce-4s.mp4")) {
            clip = in.readAllBytes();
        }
        Map<String, AtomicInteger> hooks = new ConcurrentHashMap<>();
        Map<String, java.util.Set<String>> hookIds = new ConcurrentHashMap<>();
        HttpServer side = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        side.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        // The video host answers after 0.1 to 1 s, as a real one does: fetches are in flight when the process dies.
        side.createContext("/clip.mp4", ex -> {
            try (ex) {
                Thread.sleep(ThreadLocalRandom.current().nextInt(100, 1000));
                ex.getResponseHeaders().set("content-type", "video/mp4");
                ex.sendResponseHeaders(200, clip.length);
                ex.getResponseBody().write(clip);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        side.createContext("/hook", ex -> {
            try (ex) {
                JsonNode body = Json.parse(new String(ex.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
                JsonNode data = body.has("data") ? body.get("data") : body;
                hooks.computeIfAbsent(data.path("id").asText(), k -> new AtomicInteger()).incrementAndGet();
                hookIds.computeIfAbsent(data.path("id").asText(), k -> ConcurrentHashMap.newKeySet())
                        .add(ex.getRequestHeaders().getFirst("webhook-id"));
                ex.sendResponseHeaders(200, -1);
            }
        });
        side.start();
        String base = "http://127.0.0.1:" + side.getAddress().getPort();
        int port = LocalFoley.freePort();
        String api = "http://127.0.0.1:" + port;
        String key = "fk_crash-restart-" + Long.toHexString(System.nanoTime());
        String table = Moto.tableName("crash");
        HttpClient http = HttpClient.newHttpClient();
        Process serve = start(port, key, table, "serve-1.log");
        try {
            Map<String, Integer> durations = new HashMap<>();
            for (int i = 0; i < VIDEOS + TEXTS; i++) {
                int seconds = 2 + i % 3;
                String path = i < VIDEOS ? "/api/v3/wavespeed-ai/mmaudio-v2" : "/api/v3/wavespeed-ai/mmaudio-v2/text-to-audio";
                String body = i < VIDEOS
                        ? "{\"video\":\"" + base + "/clip.mp4\",\"prompt\":\"a ball bouncing on wood\",\"duration\":" + seconds + "}"
                        : "{\"prompt\":\"rain on a tin roof\",\"duration\":" + seconds + "}";
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api + path + "?webhook=" + base + "/hook"))
                        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                durations.put(Json.parse(r.body()).at("/data/id").asText(), seconds);
            }
            // First crash: a few are done, the rest are queued at the generator, running or being copied.
            waitUntil(() -> count(http, api, key, durations.keySet(), "completed") >= 3, 120);
            int doneAtFirstCrash = count(http, api, key, durations.keySet(), "completed");
            serve.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            assertTrue(doneAtFirstCrash < durations.size(), "the crash came with work in flight");

            serve = start(port, key, table, "serve-2.log");
            // Second crash, soon after the restart: the re-driven work is itself cut short.
            waitUntil(() -> count(http, api, key, durations.keySet(), "completed") > doneAtFirstCrash, 120);
            serve.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

            serve = start(port, key, table, "serve-3.log");
            waitUntil(() -> count(http, api, key, durations.keySet(), "completed") == durations.size()
                    || count(http, api, key, durations.keySet(), "failed") > 0, 240);
            for (String id : durations.keySet()) {
                JsonNode d = result(http, api, key, id);
                assertEquals("completed", d.path("status").asText(), id + ": " + d + "\n" + logs());
            }
            // One webhook each: wait for all, then give a duplicate time to show itself.
            waitUntil(() -> hooks.keySet().containsAll(durations.keySet()), 120);
            Thread.sleep(3000);
            // A kill in the instant between a delivery's answer and its record repeats that delivery after the
            // lease (at least once, as any webhook sender that can crash): with the same webhook-id, so it is one webhook.
            int repeats = 0;
            for (String id : durations.keySet()) {
                assertEquals(1, hookIds.get(id).size(), "a repeat carries the same webhook-id, for " + id + ": " + hookIds.get(id));
                repeats += hooks.get(id).get() - 1;
            }
            System.out.println("CrashRestartTest: deliveries repeated after a kill: " + repeats);
            // A repeat needs a kill in that instant, for a delivery then in flight: a restart that sent webhooks
            // again wholesale (or a second delivery per prediction) would repeat most of the 24.
            assertTrue(repeats <= 4, "only deliveries in flight at the two kills may repeat: " + hooks);
            // Charged once each: the key's usage is the sum of the durations, over exactly these predictions.
            JsonNode usage = Json.parse(http.send(HttpRequest.newBuilder(URI.create(api + "/api/v3/usage"))
                    .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString()).body()).get("data");
            long predictions = 0;
            long seconds = 0;
            for (JsonNode day : usage.path("days")) {
                predictions += day.path("predictions").asLong();
                seconds += day.path("seconds").asLong();
            }
            assertEquals(durations.size(), predictions, usage.toString());
            assertEquals(durations.values().stream().mapToLong(Integer::longValue).sum(), seconds, usage.toString());
            // Issue 12, item 6: the terminal shows a readable line per phase change; the log file has the JSON lines.
            String terminal = Files.readString(tmp.resolve("serve-3.log"));
            assertTrue(terminal.matches("(?s).*\\d\\d:\\d\\d:\\d\\d  [0-9a-f]{8}… +upstream_done → completed.*"), terminal);
            List<String> json = Files.readAllLines(tmp.resolve("data").resolve("foley.log"));
            assertFalse(json.isEmpty());
            for (String line : json) {
                JsonNode n = Json.parse(line);
                assertTrue(n.has("_aws") || n.has("message"), line);
            }
            // (A kill between a write and its line loses that line: the log follows the table, it is not the record.)
            for (String id : durations.keySet()) {
                assertTrue(json.stream().anyMatch(l -> l.contains("\"prediction_id\":\"" + id + "\"")), "the log has " + id);
            }
        } finally {
            serve.destroyForcibly();
            side.stop(0);
            // Kept for a look after the run: each serve's terminal and the JSON log.
            Path keep = Moto.projectRoot().resolve("local/target/crash-restart");
            Files.createDirectories(keep);
            for (String name : List.of("serve-1.log", "serve-2.log", "serve-3.log")) {
                if (Files.exists(tmp.resolve(name))) {
                    Files.copy(tmp.resolve(name), keep.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
            if (Files.exists(tmp.resolve("data/foley.log"))) {
                Files.copy(tmp.resolve("data/foley.log"), keep.resolve("foley.log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /**
     * A regenerate killed in flight ({@code kill -9} while it is being cut, windowed or spliced) is
     * re-driven after a restart like any prediction: it completes once, charged once for its stretch.
     * The parent is a 12 s long prediction of {@code bounce-12s.mp4}, served from a local file server.
     */
    @Test
    void aRegenerateKilledInFlightCompletesOnceAfterARestart() throws Exception {
        byte[] clip;
        try (InputStream in = CrashRestartTest.class.getResourceAsStream("/media/bounce-12s.mp4")) {
            clip = in.readAllBytes();
        }
        HttpServer side = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        side.createContext("/clip.mp4", ex -> {
            try (ex) {
                ex.getResponseHeaders().set("content-type", "video/mp4");
                ex.sendResponseHeaders(200, clip.length);
                ex.getResponseBody().write(clip);
            }
        });
        side.start();
        int port = LocalFoley.freePort();
        String api = "http://127.0.0.1:" + port;
        String key = "fk_crash-regenerate-" + Long.toHexString(System.nanoTime());
        HttpClient http = HttpClient.newHttpClient();
        String table = Moto.tableName("crashredo");
        Process serve = start(port, key, table, "serve-1.log");
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api + "/api/v3/foley/mmaudio-v2-long"))
                    .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"video\":\"http://127.0.0.1:" + side.getAddress().getPort()
                            + "/clip.mp4\",\"prompt\":\"a ball bouncing\",\"output_format\":\"wav\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            String parent = Json.parse(r.body()).at("/data/id").asText();
            waitUntil(() -> "completed".equals(result(http, api, key, parent).path("status").asText()), 120);
            assertEquals("completed", result(http, api, key, parent).path("status").asText(), logs());
            r = http.send(HttpRequest.newBuilder(URI.create(api + "/api/v3/predictions/" + parent + "/regenerate"))
                    .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"start\":3,\"end\":7,\"prompt\":\"rain\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            String redo = Json.parse(r.body()).at("/data/id").asText();
            serve.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // at once: the regenerate is in flight
            serve = start(port, key, table, "serve-2.log");
            waitUntil(() -> !"processing".equals(result(http, api, key, redo).path("status").asText())
                    && !"created".equals(result(http, api, key, redo).path("status").asText()), 180);
            JsonNode d = result(http, api, key, redo);
            assertEquals("completed", d.path("status").asText(), d + "\n" + logs());
            assertEquals(parent, d.at("/regenerates/id").asText());
            JsonNode usage = Json.parse(http.send(HttpRequest.newBuilder(URI.create(api + "/api/v3/usage"))
                    .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString()).body()).path("data");
            assertEquals(12 + 4, usage.at("/total/seconds").asLong(), "the parent's 12 s and the stretch's 4 s, once each: " + usage);
        } finally {
            serve.destroyForcibly();
            side.stop(0);
        }
    }

    private Process start(int port, String key, String table, String logName) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Path log = tmp.resolve(logName);
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), FoleyCli.class.getName(), "serve",
                "--port", Integer.toString(port), "--aws-endpoint", Moto.endpoint().toString(), "--table", table,
                "--dev-key", key, "--data", tmp.resolve("data").toString(), "--template", Moto.template().toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!Files.readString(log).contains("Foley is running") && System.nanoTime() < end && p.isAlive()) {
            Thread.sleep(100);
        }
        assertTrue(Files.readString(log).contains("Foley is running"), Files.readString(log));
        return p;
    }

    private String logs() throws Exception {
        List<String> all = new ArrayList<>();
        for (String name : List.of("serve-1.log", "serve-2.log", "serve-3.log")) {
            Path f = tmp.resolve(name);
            if (Files.exists(f)) {
                all.add("--- " + name + "\n" + Files.readString(f));
            }
        }
        return String.join("\n", all);
    }

    private static JsonNode result(HttpClient http, String api, String key, String id) throws Exception {
        return Json.parse(http.send(HttpRequest.newBuilder(URI.create(api + "/api/v3/predictions/" + id + "/result"))
                .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString()).body()).path("data");
    }

    private static int count(HttpClient http, String api, String key, java.util.Set<String> ids, String status) throws Exception {
        int n = 0;
        for (String id : ids) {
            if (status.equals(result(http, api, key, id).path("status").asText())) {
                n++;
            }
        }
        return n;
    }

    interface Check {
        boolean ok() throws Exception;
    }

    private static void waitUntil(Check check, int seconds) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!check.ok()) {
            if (System.nanoTime() > end) {
                return; // the assertions after say what is missing
            }
            Thread.sleep(250);
        }
    }
}
