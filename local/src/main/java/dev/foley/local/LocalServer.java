package dev.foley.local;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.Context;
import dev.foley.functions.api.ApiHandler;
import java.util.function.BiFunction;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.foley.view.Envelope;
import dev.foley.api.FoleyApi;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;

/**
 * A local HTTP server that turns each request into an {@link APIGatewayV2HTTPEvent} the way API
 * Gateway's HTTP API does (payload format 2.0: lower-cased headers, cookies split out, raw path and
 * query, path parameters of the matched route, base64 bodies for binary content) and hands it to
 * the real Lambda handler.
 */
public final class LocalServer implements AutoCloseable {

    /** API Gateway refuses payloads over 10 MB before any Lambda runs. */
    static final int MAX_PAYLOAD = 10 * 1024 * 1024;
    private static final DateTimeFormatter API_GW_TIME =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH).withZone(ZoneOffset.UTC);

    private final HttpServer server;
    private final BiFunction<APIGatewayV2HTTPEvent, Context, APIGatewayV2HTTPResponse> handler;

    private LocalServer(HttpServer server, BiFunction<APIGatewayV2HTTPEvent, Context, APIGatewayV2HTTPResponse> handler) {
        this.server = server;
        this.handler = handler;
    }

    /** Serves the API function as the runtime would call it: each event as JSON, read into the map it takes. */
    public static LocalServer start(int port, ApiHandler handler) throws IOException {
        return start(port, (event, context) -> Lambdas.api(handler, event, context));
    }

    public static LocalServer start(int port, BiFunction<APIGatewayV2HTTPEvent, Context, APIGatewayV2HTTPResponse> handler)
            throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 256);
        LocalServer local = new LocalServer(server, handler);
        server.createContext("/", local::serve);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        return local;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void serve(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = readBody(ex.getRequestBody());
            if (body == null) {
                send(ex, 413, Map.of("content-type", "application/json"),
                        Envelope.error(413, "request body over API Gateway's 10 MB limit", List.of())
                                .getBytes(StandardCharsets.UTF_8));
                return;
            }
            APIGatewayV2HTTPEvent event = toEvent(ex, body);
            APIGatewayV2HTTPResponse r = handler.apply(event,
                    LocalContext.of(event.getRequestContext().getRequestId(), "foley-api", 29));
            byte[] out = r.getBody() == null ? new byte[0]
                    : r.getIsBase64Encoded() ? Base64.getDecoder().decode(r.getBody())
                    : r.getBody().getBytes(StandardCharsets.UTF_8);
            send(ex, r.getStatusCode(), r.getHeaders() == null ? Map.of() : r.getHeaders(), out);
        } catch (RuntimeException e) {
            // API Gateway's answer when the integration fails.
            e.printStackTrace();
            send(ex, 500, Map.of("content-type", "application/json"),
                    "{\"message\":\"Internal Server Error\"}".getBytes(StandardCharsets.UTF_8));
        }
    }

    static APIGatewayV2HTTPEvent toEvent(HttpExchange ex, byte[] body) {
        String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
        String rawPath = ex.getRequestURI().getRawPath();
        String rawQuery = ex.getRequestURI().getRawQuery() == null ? "" : ex.getRequestURI().getRawQuery();
        Map<String, String> headers = new LinkedHashMap<>();
        List<String> cookies = new ArrayList<>();
        ex.getRequestHeaders().forEach((name, values) -> {
            String k = name.toLowerCase(Locale.ROOT);
            if (k.equals("cookie")) {
                for (String v : values) {
                    for (String c : v.split(";")) {
                        if (!c.isBlank()) {
                            cookies.add(c.strip());
                        }
                    }
                }
            } else {
                headers.put(k, String.join(",", values));
            }
        });
        String sourceIp = ex.getRemoteAddress().getAddress().getHostAddress();
        headers.put("x-forwarded-for", sourceIp);
        headers.put("x-forwarded-proto", "http");
        headers.put("x-forwarded-port", Integer.toString(ex.getLocalAddress().getPort()));
        String host = headers.getOrDefault("host", "127.0.0.1:" + ex.getLocalAddress().getPort());

        String routeKey = "$default";
        Map<String, String> pathParams = null;
        String decodedPath = URLDecoder.decode(rawPath.replace("+", "%2B"), StandardCharsets.UTF_8);
        String[] segments = decodedPath.split("/");
        for (FoleyApi.Route r : FoleyApi.ROUTES) {
            String[] p = r.pattern().split("/");
            if (!r.method().equals(method) || p.length != segments.length) {
                continue;
            }
            Map<String, String> params = new HashMap<>();
            boolean ok = true;
            for (int i = 0; i < p.length && ok; i++) {
                if (p[i].startsWith("{")) {
                    params.put(p[i].substring(1, p[i].length() - 1), segments[i]);
                } else {
                    ok = p[i].equals(segments[i]);
                }
            }
            if (ok) {
                routeKey = method + " " + r.pattern();
                pathParams = params.isEmpty() ? null : params;
                break;
            }
        }

        Map<String, String> query = null;
        if (!rawQuery.isEmpty()) {
            query = new LinkedHashMap<>();
            for (String pair : rawQuery.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                try {
                    String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                    String v = URLDecoder.decode(eq < 0 ? "" : pair.substring(eq + 1), StandardCharsets.UTF_8);
                    query.merge(k, v, (a, b) -> a + "," + b);
                } catch (IllegalArgumentException malformed) {
                    // API Gateway passes what it cannot decode through rawQueryString only.
                }
            }
        }

        Instant now = Instant.now();
        String requestId = UUID.randomUUID().toString();
        var http = APIGatewayV2HTTPEvent.RequestContext.Http.builder()
                .withMethod(method)
                .withPath(rawPath)
                .withProtocol(ex.getProtocol())
                .withSourceIp(sourceIp)
                .withUserAgent(headers.getOrDefault("user-agent", ""))
                .build();
        var ctx = APIGatewayV2HTTPEvent.RequestContext.builder()
                .withAccountId("000000000000")
                .withApiId("local")
                .withDomainName(host)
                .withDomainPrefix("local")
                .withHttp(http)
                .withRequestId(requestId)
                .withRouteKey(routeKey)
                .withStage("$default")
                .withTime(API_GW_TIME.format(now))
                .withTimeEpoch(now.toEpochMilli())
                .build();
        // As API Gateway does with a body that is not UTF-8 text: pass it base64-encoded, byte for byte,
        // so the API sees what was sent (and refuses it) rather than a silently repaired string.
        boolean text = isText(headers.get("content-type")) && dev.foley.json.Json.invalidUtf8(body) == null;
        String bodyString = body.length == 0 ? null
                : text ? new String(body, StandardCharsets.UTF_8) : Base64.getEncoder().encodeToString(body);
        return APIGatewayV2HTTPEvent.builder()
                .withVersion("2.0")
                .withRouteKey(routeKey)
                .withRawPath(rawPath)
                .withRawQueryString(rawQuery)
                .withCookies(cookies.isEmpty() ? null : cookies)
                .withHeaders(headers)
                .withQueryStringParameters(query)
                .withPathParameters(pathParams)
                .withRequestContext(ctx)
                .withBody(bodyString)
                .withIsBase64Encoded(body.length != 0 && !text)
                .build();
    }

    /** Content types API Gateway passes as text; everything else arrives base64-encoded. */
    static boolean isText(String contentType) {
        if (contentType == null) {
            return true;
        }
        String t = contentType.toLowerCase(Locale.ROOT);
        return t.startsWith("text/") || t.contains("json") || t.contains("xml")
                || t.startsWith("application/x-www-form-urlencoded") || t.startsWith("application/javascript");
    }

    private static byte[] readBody(InputStream in) throws IOException {
        byte[] data = in.readNBytes(MAX_PAYLOAD + 1);
        if (data.length > MAX_PAYLOAD) {
            return null;
        }
        return data;
    }

    private static void send(HttpExchange ex, int status, Map<String, String> headers, byte[] body) throws IOException {
        headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
        boolean noBody = body.length == 0 || ex.getRequestMethod().equalsIgnoreCase("HEAD");
        ex.sendResponseHeaders(status, noBody ? -1 : body.length);
        if (!noBody) {
            ex.getResponseBody().write(body);
        }
    }
}
