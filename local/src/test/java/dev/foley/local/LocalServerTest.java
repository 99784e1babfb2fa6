package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Local mode's HTTP server at the byte level (issue 13, item 6): what reaches the handler, and what
 * a malformed request gets back. Every answer is the JSON envelope; nothing malformed reaches the
 * handler; a silent client is cut off.
 */
class LocalServerTest {

    final List<APIGatewayV2HTTPEvent> seen = new CopyOnWriteArrayList<>();
    LocalServer server;

    @BeforeEach
    void start() throws Exception {
        server = LocalServer.start(0, (event, ctx) -> {
            seen.add(event);
            APIGatewayV2HTTPResponse r = new APIGatewayV2HTTPResponse();
            r.setStatusCode(200);
            r.setHeaders(Map.of("content-type", "application/json"));
            r.setBody("{\"code\":200,\"message\":\"success\",\"data\":{\"method\":\"" + event.getRequestContext().getHttp().getMethod()
                    + "\",\"authorization\":" + Json.MAPPER.valueToTree(event.getHeaders().get("authorization")) + "}}");
            return r;
        }, Duration.ofSeconds(2));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    record Answer(int status, Map<String, String> headers, String body, boolean closed) {
        JsonNode json() {
            return Json.parse(body);
        }
    }

    /** Sends raw bytes, reads one answer (the server closing the connection ends it). */
    Answer raw(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(15_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return read(s.getInputStream());
        }
    }

    static Answer read(InputStream in) throws Exception {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            head.write(b);
            if (head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                break;
            }
        }
        if (head.size() == 0) {
            return new Answer(0, Map.of(), "", true);
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new java.util.TreeMap<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            if (c > 0) {
                headers.put(lines[i].substring(0, c).toLowerCase(), lines[i].substring(c + 1).strip());
            }
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = in.readNBytes(length);
        return new Answer(status, headers, new String(body, StandardCharsets.UTF_8), false);
    }

    void isTheEnvelope(Answer a, int status, String says) {
        assertEquals(status, a.status(), a.toString());
        assertTrue(a.headers().getOrDefault("content-type", "").startsWith("application/json"), a.toString());
        JsonNode j = a.json();
        assertEquals(status, j.get("code").asInt());
        assertTrue(j.get("data").isNull());
        assertTrue(j.get("message").asText().contains(says), a.body());
        assertFalse(a.body().contains("Exception") || a.body().contains("<html"), a.body());
    }

    @Test
    void aWellFormedRequestReachesTheHandler() throws Exception {
        Answer a = raw("GET /health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\nConnection: close\r\n\r\n");
        assertEquals(200, a.status());
        assertEquals("Bearer k", a.json().at("/data/authorization").asText());
        assertEquals(1, seen.size());
    }

    @Test
    void aBareCrInAHeaderIsRefusedNotSplitIntoTwoHeaders() throws Exception {
        // With the JDK's server the CR ended the line, and "Authorization" arrived as a header of its own.
        Answer a = raw("GET /api/v3/balance HTTP/1.1\r\nHost: x\r\nX-Note: a\rAuthorization: Bearer smuggled\r\n\r\n");
        isTheEnvelope(a, 400, "malformed HTTP request");
        assertEquals(0, seen.size(), "nothing malformed reaches the API");
    }

    @Test
    void aMalformedChunkGetsAnAnswer() throws Exception {
        Answer a = raw("POST /api/v3/predictions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                + "Content-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n");
        isTheEnvelope(a, 400, "malformed HTTP request");
        assertEquals(0, seen.size());
    }

    @Test
    void badPercentEncodingIsTheEnvelopeNeverAnHtmlPage() throws Exception {
        // The JDK's server answered an HTML page naming a Java exception.
        Answer a = raw("GET /api/v3/predictions/%zz/result HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        isTheEnvelope(a, 400, "malformed HTTP request");
        assertEquals(0, seen.size());
    }

    @Test
    void methodsAreCaseSensitive() throws Exception {
        // The JDK's server upper-cased it into GET; the API now sees "get" and answers it as a method it does not take.
        Answer a = raw("get /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertEquals(200, a.status(), a.toString());
        assertEquals("get", a.json().at("/data/method").asText());
    }

    @Test
    void aSilentClientIsCutOff() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            // Then nothing more: the server must not hold the connection (and a thread) for ever.
            Answer a;
            try {
                a = read(s.getInputStream());
            } catch (SocketTimeoutException e) {
                fail("the server kept a silent client's connection open");
                return;
            }
            assertTrue(a.closed(), "closed without an answer: " + a);
            assertEquals(0, seen.size());
        }
    }

    @Test
    void headersTooLargeAreTheEnvelope() throws Exception {
        Answer a = raw("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n");
        isTheEnvelope(a, 431, "headers are too large");
        assertEquals(0, seen.size());
    }
}
