package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.json.Json;
import dev.foley.provider.emulator.WaveSpeedEmulator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Both of the hosted API's upload forms, over HTTP, against moto's S3. */
@ExtendWith(Moto.class)
class UploadsTest {

    static WaveSpeedEmulator emu;
    static LocalFoley foley;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        emu = new WaveSpeedEmulator("ws-key");
        foley = LocalFoley.start(new LocalFoley.Options(0, Moto.endpoint(), Moto.template(), Moto.tableName("up"),
                "fk_uploads-key-0123456789", false, Moto.wavespeed(emu), Moto.projectRoot().resolve("local/target/local-data")));
    }

    @AfterAll
    static void stop() {
        foley.close();
        emu.close();
    }

    static HttpResponse<String> post(String path, String contentType, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(foley.baseUrl() + path)).header("Authorization", "Bearer " + foley.apiKey())
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void ticketPutThenDownloadUrlAsVideo() throws Exception {
        byte[] clip = Files.readAllBytes(Moto.projectRoot().resolve("local/src/test/resources/media/bounce-4s.mp4"));
        var r = post("/api/v3/media/uploads", "application/json",
                ("{\"filename\":\"my clip (1).mp4\",\"size\":" + clip.length + ",\"content_type\":\"video/mp4\"}").getBytes());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode d = Json.parse(r.body()).get("data");
        assertEquals("PUT", d.at("/upload/method").asText());
        String put = d.at("/upload/url").asText();
        assertTrue(put.contains("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost"), "size and type are signed: " + put);
        var putReq = HttpRequest.newBuilder(URI.create(put)).PUT(HttpRequest.BodyPublishers.ofByteArray(clip));
        d.at("/upload/headers").fields().forEachRemaining(h -> putReq.header(h.getKey(), h.getValue().asText()));
        assertEquals(200, http.send(putReq.build(), HttpResponse.BodyHandlers.discarding()).statusCode());
        String download = d.get("download_url").asText();
        assertArrayEquals(clip, http.send(HttpRequest.newBuilder(URI.create(download)).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body());
        var submit = post("/api/v3/wavespeed-ai/mmaudio-v2", "application/json",
                Json.write(Json.object().put("video", download).put("prompt", "a ball")).getBytes());
        assertEquals(200, submit.statusCode(), submit.body());
    }

    /**
     * Under {@code --strict-urls} (a deployed stack's rule), a link the ticket endpoint handed out
     * points into our own uploads bucket: it is accepted as a video and read (local mode's S3 is on
     * 127.0.0.1), while any other loopback URL, or one that climbs out of the bucket, is still refused.
     * Before, the download_url was refused: "must point to a public address, not 127.0.0.1".
     */
    @Test
    void underStrictUrlsTheTicketsOwnDownloadUrlIsAVideoAndOtherLoopbackUrlsAreNot() throws Exception {
        try (LocalFoley strict = LocalFoley.start(new LocalFoley.Options(0, Moto.endpoint(), Moto.template(), Moto.tableName("upstrict"),
                "fk_uploads-strict-0123456789", true, new java.util.HashMap<>(), Moto.projectRoot().resolve("local/target/local-data-strict")))) {
            byte[] clip = Files.readAllBytes(Moto.projectRoot().resolve("local/src/test/resources/media/bounce-4s.mp4"));
            java.util.function.BiFunction<String, byte[], HttpResponse<String>> call = (path, body) -> {
                try {
                    return http.send(HttpRequest.newBuilder(URI.create(strict.baseUrl() + path)).header("Authorization", "Bearer "
                            + strict.apiKey()).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body))
                            .build(), HttpResponse.BodyHandlers.ofString());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            var r = call.apply("/api/v3/media/uploads", ("{\"filename\":\"c.mp4\",\"size\":" + clip.length + "}").getBytes());
            assertEquals(200, r.statusCode(), r.body());
            JsonNode d = Json.parse(r.body()).get("data");
            var putReq = HttpRequest.newBuilder(URI.create(d.at("/upload/url").asText())).PUT(HttpRequest.BodyPublishers.ofByteArray(clip));
            d.at("/upload/headers").fields().forEachRemaining(h -> putReq.header(h.getKey(), h.getValue().asText()));
            assertEquals(200, http.send(putReq.build(), HttpResponse.BodyHandlers.discarding()).statusCode());
            String download = d.get("download_url").asText();
            var submit = call.apply("/api/v3/wavespeed-ai/mmaudio-v2", Json.write(Json.object().put("video", download)
                    .put("prompt", "a ball").put("duration", 4).put("output_format", "wav")).getBytes());
            assertEquals(200, submit.statusCode(), submit.body());
            String id = Json.parse(submit.body()).at("/data/id").asText();
            String status = "";
            for (int i = 0; i < 600 && !status.equals("completed") && !status.equals("failed"); i++) {
                Thread.sleep(100);
                var got = http.send(HttpRequest.newBuilder(URI.create(strict.baseUrl() + "/api/v3/predictions/" + id + "/result"))
                        .header("Authorization", "Bearer " + strict.apiKey()).build(), HttpResponse.BodyHandlers.ofString());
                status = Json.parse(got.body()).at("/data/status").asText();
                if (status.equals("failed")) {
                    fail(got.body());
                }
            }
            assertEquals("completed", status, "the uploaded clip was read from our own S3 and its sound made");
            URI u = URI.create(download);
            String bucketBase = u.getScheme() + "://" + u.getRawAuthority() + "/" + u.getPath().split("/")[1] + "/";
            for (String other : new String[] {"http://127.0.0.1:" + URI.create(download).getPort() + "/some-other-bucket/x.mp4",
                    "http://127.0.0.1:9/clip.mp4", bucketBase + "../some-other-bucket/x.mp4"}) {
                var refused = call.apply("/api/v3/wavespeed-ai/mmaudio-v2", Json.write(Json.object().put("video", other)
                        .put("prompt", "a ball")).getBytes());
                assertEquals(400, refused.statusCode(), other + ": " + refused.body());
                assertTrue(refused.body().contains("video: must point to a public address"), refused.body());
            }
        }
    }

    @Test
    void ticketRequestsAreValidated() throws Exception {
        var r = post("/api/v3/media/uploads", "application/json", "{\"filename\":\"\",\"size\":0,\"x\":1}".getBytes());
        assertEquals(400, r.statusCode());
        String m = Json.parse(r.body()).get("message").asText();
        assertTrue(m.contains("filename: required") && m.contains("size: required") && m.contains("x: unknown field"), m);
        r = post("/api/v3/media/uploads", "application/json", "{\"filename\":\"big.mp4\",\"size\":600000000}".getBytes());
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("size: must be at most 500000000 bytes"), r.body());
        r = post("/api/v3/media/uploads", "application/json", "{\"filename\":\"a.mp4\",\"size\":10}".getBytes());
        assertEquals(200, r.statusCode(), "content_type is optional: guessed from the name");
        assertTrue(Json.parse(r.body()).at("/data/upload/headers/Content-Type").asText().equals("video/mp4"));
        // Numbers are range-checked before they are converted: 2^64 + 100 is not a 100-byte ticket.
        r = post("/api/v3/media/uploads", "application/json", "{\"filename\":\"a.mp4\",\"size\":18446744073709551716}".getBytes());
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("size: must be at most 500000000 bytes, got 18446744073709551716"), r.body());
        r = post("/api/v3/media/uploads", "application/json", "{\"filename\":\"a.mp4\",\"size\":-18446744073709551516}".getBytes());
        assertEquals(400, r.statusCode(), "a huge negative number is no size either");
        // An integral number is an integer, as duration is on submit.
        r = post("/api/v3/media/uploads", "application/json", "{\"filename\":\"a.mp4\",\"size\":10.0}".getBytes());
        assertEquals(200, r.statusCode(), r.body());
        r = post("/api/v3/media/uploads", "application/json", "{\"filename\":\"a.mp4\",\"size\":10.5}".getBytes());
        assertEquals(400, r.statusCode());
        // One rule set with submit: a body that is not JSON by its type is a 415 there and here.
        r = post("/api/v3/media/uploads", "text/plain", "{\"filename\":\"a.mp4\",\"size\":10}".getBytes());
        assertEquals(415, r.statusCode(), r.body());
        // And the binary upload caps the file name as the ticket does.
        r = post("/api/v3/media/upload/binary", "multipart/form-data; boundary=b0undary",
                multipart("b0undary", "file", "x".repeat(10_000) + ".mp4", "video/mp4", new byte[] {1, 2, 3}));
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("filename: must be at most 255 characters"), r.body());
    }

    static byte[] multipart(String boundary, String field, String filename, String type, byte[] data) {
        String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field + "\"; filename=\"" + filename
                + "\"\r\nContent-Type: " + type + "\r\n\r\n";
        String tail = "\r\n--" + boundary + "--\r\n";
        byte[] h = head.getBytes(StandardCharsets.UTF_8);
        byte[] t = tail.getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[h.length + data.length + t.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(data, 0, all, h.length, data.length);
        System.arraycopy(t, 0, all, h.length + data.length, t.length);
        return all;
    }

    @Test
    void binaryUploadForSmallFilesAnd413ForLargeOnes() throws Exception {
        byte[] data = new byte[10_000];
        new java.util.Random(1).nextBytes(data);
        var r = post("/api/v3/media/upload/binary", "multipart/form-data; boundary=XyZ",
                multipart("XyZ", "file", "tone.wav", "audio/wav", data));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode d = Json.parse(r.body()).get("data");
        assertEquals("audio", d.get("type").asText());
        assertEquals("tone.wav", d.get("filename").asText());
        assertEquals(10_000, d.get("size").asInt());
        assertArrayEquals(data, http.send(HttpRequest.newBuilder(URI.create(d.get("download_url").asText())).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body());

        var big = post("/api/v3/media/upload/binary", "multipart/form-data; boundary=XyZ",
                multipart("XyZ", "file", "big.mp4", "video/mp4", new byte[5_000_000]));
        assertEquals(413, big.statusCode());
        assertTrue(big.body().contains("/api/v3/media/uploads"), "the 413 names the ticket endpoint: " + big.body());
        var wrongField = post("/api/v3/media/upload/binary", "multipart/form-data; boundary=XyZ",
                multipart("XyZ", "video", "a.mp4", "video/mp4", data));
        assertEquals(400, wrongField.statusCode());
        assertTrue(wrongField.body().contains("file: no field named file"));
        assertEquals(415, post("/api/v3/media/upload/binary", "application/json", "{}".getBytes()).statusCode());
        var truncated = post("/api/v3/media/upload/binary", "multipart/form-data; boundary=XyZ",
                java.util.Arrays.copyOf(multipart("XyZ", "file", "a.mp4", "video/mp4", data), 5000));
        assertEquals(400, truncated.statusCode());
        var oddType = post("/api/v3/media/upload/binary", "multipart/form-data; boundary=XyZ",
                multipart("XyZ", "file", "a.mp4", "<b>video</b>", data));
        assertEquals(400, oddType.statusCode(), oddType.body());
        assertTrue(oddType.body().contains("file: its Content-Type must be a MIME type like video/mp4"), oddType.body());
    }
}
