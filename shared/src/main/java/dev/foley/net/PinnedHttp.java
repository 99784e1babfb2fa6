package dev.foley.net;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * A one-shot HTTP/1.1 POST to a user-supplied URL (webhooks) that connects to exactly the address
 * it checked: the host is resolved once, every address is checked against {@link UrlPolicy}
 * (strict: public addresses only), and the socket opens to that checked address, so a DNS answer
 * that changes between check and connect (rebinding) cannot redirect us. TLS still verifies the
 * certificate against the host name. Redirects are not followed. The JDK's HTTP client resolves
 * names itself, which leaves that window open; hence this small client.
 */
public final class PinnedHttp {

    /** What happened: a status, or 0 with an error. */
    public record Result(int status, long latencyMs, String error, String address) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    private final boolean strict;

    public PinnedHttp(boolean strict) {
        this.strict = strict;
    }

    public Result post(URI url, Map<String, String> headers, byte[] body, Duration timeout) {
        long t0 = System.nanoTime();
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(java.util.Locale.ROOT);
        boolean tls = scheme.equals("https");
        if (!tls && !scheme.equals("http")) {
            return new Result(0, 0, "not an http(s) URL", "");
        }
        String host = url.getHost();
        int port = url.getPort() > 0 ? url.getPort() : tls ? 443 : 80;
        InetAddress target;
        try {
            target = pick(host);
        } catch (UnknownHostException e) {
            return new Result(0, ms(t0), "host " + host + " does not resolve", "");
        } catch (SecurityException e) {
            return new Result(0, ms(t0), e.getMessage(), "");
        }
        int timeoutMs = (int) Math.max(1, timeout.toMillis());
        try (Socket raw = new Socket()) {
            raw.connect(new InetSocketAddress(target, port), timeoutMs);
            raw.setSoTimeout(timeoutMs);
            Socket s = raw;
            if (tls) {
                SSLSocket ssl = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault())
                        .createSocket(raw, host, port, true);
                SSLParameters p = ssl.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                p.setServerNames(java.util.List.of(new SNIHostName(host)));
                ssl.setSSLParameters(p);
                ssl.startHandshake();
                s = ssl;
            }
            String path = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                    + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
            StringBuilder head = new StringBuilder();
            head.append("POST ").append(path).append(" HTTP/1.1\r\n");
            head.append("Host: ").append(url.getPort() > 0 ? host + ":" + port : host).append("\r\n");
            head.append("User-Agent: Foley-Webhooks/1\r\n");
            head.append("Content-Type: application/json\r\n");
            head.append("Content-Length: ").append(body.length).append("\r\n");
            head.append("Connection: close\r\n");
            for (var h : headers.entrySet()) {
                if (h.getKey().matches("[A-Za-z0-9-]+") && !h.getValue().contains("\r") && !h.getValue().contains("\n")) {
                    head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
                }
            }
            head.append("\r\n");
            OutputStream out = s.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            int status = statusOf(new BufferedInputStream(s.getInputStream()));
            return new Result(status, ms(t0), status >= 200 && status < 300 ? ""
                    : status >= 300 && status < 400 ? "redirects are not followed" : "", target.getHostAddress());
        } catch (java.net.SocketTimeoutException e) {
            return new Result(0, ms(t0), "no answer within " + timeout.toSeconds() + " s", target.getHostAddress());
        } catch (IOException e) {
            return new Result(0, ms(t0), "connection failed (" + e.getClass().getSimpleName() + ")", target.getHostAddress());
        }
    }

    /** The first address of {@code host} that the policy allows; refuses the host if any address is not allowed. */
    InetAddress pick(String host) throws UnknownHostException {
        String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        InetAddress[] all = InetAddress.getAllByName(h);
        if (strict) {
            for (InetAddress a : all) {
                if (!UrlPolicy.isPublic(a)) {
                    throw new SecurityException("host " + host + " resolves to a non-public address (" + a.getHostAddress() + ")");
                }
            }
        }
        return all[0];
    }

    private static int statusOf(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n' && line.size() < 1024) {
            line.write(c);
        }
        String[] parts = line.toString(StandardCharsets.ISO_8859_1).trim().split(" ");
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new IOException("not an HTTP answer");
        }
        try {
            return Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("not an HTTP status");
        }
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
