package dev.foley.local;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.Context;
import dev.foley.functions.api.ApiHandler;
import java.util.function.BiFunction;
import dev.foley.view.Envelope;
import dev.foley.api.FoleyApi;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A local HTTP server that turns each request into an {@link APIGatewayV2HTTPEvent} the way API
 * Gateway's HTTP API does (payload format 2.0: lower-cased headers, cookies split out, raw path and
 * query, path parameters of the matched route, base64 bodies for binary content) and hands it to
 * the real Lambda handler. It runs on Jetty (local mode only, never in a Lambda zip): a strict
 * HTTP/1.1 parser refuses a bare CR in a header, a malformed chunk or a bad request line; a client
 * silent for {@link #IDLE_TIMEOUT} is cut off; and every answer, Jetty's own errors included, is
 * the API's JSON envelope.
 */
public final class LocalServer implements AutoCloseable {

    /** API Gateway refuses payloads over 10 MB before any Lambda runs. */
    static final int MAX_PAYLOAD = 10 * 1024 * 1024;
    /** A client that sends nothing for this long (a slow-loris) is disconnected, as API Gateway would. */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(20);
    private static final DateTimeFormatter API_GW_TIME =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH).withZone(ZoneOffset.UTC);

    private final Server server;
    private final ServerConnector connector;
    private final BiFunction<APIGatewayV2HTTPEvent, Context, APIGatewayV2HTTPResponse> handler;

    private LocalServer(Server server, ServerConnector connector,
            BiFunction<APIGatewayV2HTTPEvent, Context, APIGatewayV2HTTPResponse> handler) {
        this.server = server;
        this.connector = connector;
        this.handler = handler;
    }

    /** Serves the API function as the runtime would call it: each event as JSON, read into the map it takes. */
    public static LocalServer start(int port, ApiHandler handler) throws IOException {
        return start(port, (event, context) -> Lambdas.api(handler, event, context));
    }

    public static LocalServer start(int port, BiFunction<APIGatewayV2HTTPEvent, Context, APIGatewayV2HTTPResponse> handler)
            throws IOException {
        return start(port, handler, IDLE_TIMEOUT);
    }

    /** The same, cutting off a client silent for {@code idle}. */
    public static LocalServer start(int port, BiFunction<APIGatewayV2HTTPEvent, Context, APIGatewayV2HTTPResponse> handler,
            Duration idle) throws IOException {
        QueuedThreadPool threads = new QueuedThreadPool(256, 4);
        threads.setName("foley-http");
        threads.setDaemon(true);
        threads.setVirtualThreadsExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        Server server = new Server(threads);
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        config.setSendDateHeader(true);
        // As API Gateway: an encoded "/" or ".." in a path goes through raw (the API answers it with its own 404);
        // bad percent-encoding and every other violation stay refused.
        config.setUriCompliance(org.eclipse.jetty.http.UriCompliance.DEFAULT.with("api-gateway",
                org.eclipse.jetty.http.UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR,
                org.eclipse.jetty.http.UriCompliance.Violation.AMBIGUOUS_PATH_SEGMENT,
                org.eclipse.jetty.http.UriCompliance.Violation.AMBIGUOUS_PATH_ENCODING));
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(config));
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        connector.setIdleTimeout(idle.toMillis());
        connector.setAcceptQueueSize(256);
        server.addConnector(connector);
        LocalServer local = new LocalServer(server, connector, handler);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                local.serve(request, response, callback);
                return true;
            }
        });
        server.setErrorHandler(new EnvelopeErrors());
        server.setStopTimeout(0);
        try {
            server.start();
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e.getMessage(), e);
        }
        return local;
    }

    /** Jetty's own refusals (a bad request line, a bare CR, a malformed chunk, headers too large) in the API's envelope. */
    static final class EnvelopeErrors extends ErrorHandler {
        @Override
        protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                Callback callback) {
            String reason = switch (code) {
                case 400 -> "malformed HTTP request";
                case 408 -> "the request was not sent in time";
                case 413 -> "request body over API Gateway's 10 MB limit";
                case 414 -> "the request line is too long";
                case 431 -> "the request's headers are too large";
                case 501 -> "not an HTTP method this server implements";
                default -> "the request could not be handled";
            };
            // The parser's own words ("Bad EOL", "Illegal character") name the problem; no Java type, no stack.
            String detail = message == null ? "" : message.replaceAll("[^\\x20-\\x7E]", "").replaceAll("(?i)[a-z.]*exception:?", "").strip();
            if (!detail.isEmpty() && detail.length() < 120) {
                reason = reason + ": " + detail;
            }
            response.setStatus(code);
            response.getHeaders().put("content-type", "application/json");
            response.getHeaders().put("x-content-type-options", "nosniff");
            response.getHeaders().put("connection", "close");
            Content.Sink.write(response, true, Envelope.error(code, reason, List.of()), callback);
        }
    }

    public int port() {
        return connector.getLocalPort();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port();
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            // closing down anyway
        }
    }

    private void serve(Request request, Response response, Callback callback) {
        try {
            byte[] body;
            try (InputStream in = Content.Source.asInputStream(request)) {
                body = in.readNBytes(MAX_PAYLOAD + 1);
            }
            if (body.length > MAX_PAYLOAD) {
                send(request, response, callback, 413, Map.of("content-type", "application/json"),
                        Envelope.error(413, "request body over API Gateway's 10 MB limit", List.of()).getBytes(StandardCharsets.UTF_8));
                return;
            }
            APIGatewayV2HTTPEvent event = toEvent(request, body);
            APIGatewayV2HTTPResponse r = handler.apply(event,
                    LocalContext.of(event.getRequestContext().getRequestId(), "foley-api", 29));
            byte[] out = r.getBody() == null ? new byte[0]
                    : r.getIsBase64Encoded() ? Base64.getDecoder().decode(r.getBody())
                    : r.getBody().getBytes(StandardCharsets.UTF_8);
            send(request, response, callback, r.getStatusCode(), r.getHeaders() == null ? Map.of() : r.getHeaders(), out);
        } catch (IOException e) {
            // The client broke off (a bad chunk, a disconnect, an idle timeout): nothing to answer on.
            callback.failed(e);
        } catch (RuntimeException e) {
            // API Gateway's answer when the integration fails.
            e.printStackTrace();
            send(request, response, callback, 500, Map.of("content-type", "application/json"),
                    "{\"message\":\"Internal Server Error\"}".getBytes(StandardCharsets.UTF_8));
        }
    }

    static APIGatewayV2HTTPEvent toEvent(Request request, byte[] body) {
        // Methods are case-sensitive (RFC 9110): "get" is not GET, and the API answers it as an unknown method.
        String method = request.getMethod();
        String rawPath = request.getHttpURI().getPath() == null ? "/" : request.getHttpURI().getPath();
        String rawQuery = request.getHttpURI().getQuery() == null ? "" : request.getHttpURI().getQuery();
        Map<String, String> headers = new LinkedHashMap<>();
        List<String> cookies = new ArrayList<>();
        for (HttpField f : request.getHeaders()) {
            String k = f.getName().toLowerCase(Locale.ROOT);
            if (k.equals("cookie")) {
                for (String c : f.getValue().split(";")) {
                    if (!c.isBlank()) {
                        cookies.add(c.strip());
                    }
                }
            } else {
                headers.merge(k, f.getValue(), (a, b) -> a + "," + b);
            }
        }
        String sourceIp = Request.getRemoteAddr(request);
        int localPort = Request.getLocalPort(request);
        headers.put("x-forwarded-for", sourceIp);
        headers.put("x-forwarded-proto", "http");
        headers.put("x-forwarded-port", Integer.toString(localPort));
        String host = headers.getOrDefault("host", "127.0.0.1:" + localPort);
        String protocol = request.getConnectionMetaData().getProtocol();
        String routeKey = "$default";
        Map<String, String> pathParams = null;
        String decodedPath;
        try {
            decodedPath = URLDecoder.decode(rawPath.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException badPercent) {
            decodedPath = rawPath; // matches no route: the API's own 404, in the envelope
        }
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
                .withProtocol(protocol)
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

    private static void send(Request request, Response response, Callback callback, int status, Map<String, String> headers,
            byte[] body) {
        response.setStatus(status);
        headers.forEach((k, v) -> response.getHeaders().put(k, v));
        boolean noBody = body.length == 0 || request.getMethod().equals("HEAD");
        if (noBody) {
            response.getHeaders().put("content-length", "0");
        }
        response.write(true, noBody ? ByteBuffer.allocate(0) : ByteBuffer.wrap(body), callback);
    }
}
