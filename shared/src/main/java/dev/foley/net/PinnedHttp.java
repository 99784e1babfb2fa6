package dev.foley.net;

import dev.foley.time.Deadline;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * The HTTP/1.1 client for every URL Foley itself fetches or posts to that it does not configure
 * (webhooks, provider output links): it connects to exactly the address it checked. The host is
 * resolved once, every address is checked against {@link UrlPolicy} (strict: public addresses only),
 * and the socket opens to that checked address, so a DNS answer that changes between check and
 * connect (rebinding) cannot redirect us. TLS still verifies the certificate against the host name.
 * A redirect is followed only by a GET, and only after its target is checked the same way. Reads
 * time out (a stalled body fails instead of hanging), and a whole download has a deadline. The JDK's
 * HTTP client resolves names itself, which leaves the rebinding window open; hence this small client.
 */
public final class PinnedHttp {

    /** What a POST came to: a status, or 0 with an error. */
    public record Result(int status, long latencyMs, String error, String address) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    /**
     * A body that came slower than {@link PacedInput#FLOOR_BYTES_PER_SECOND} over a {@link PacedInput#FLOOR_WINDOW}
     * (a server that trickles a byte every few seconds), or not whole within {@link PacedInput#MAX_FETCH_TIME}:
     * a stall, not a slow network. The message says which, in numbers.
     */
    public static final class TooSlowException extends FetchException {
        public TooSlowException(String message) {
            super(message, false);
        }
    }

    /** A fetch that did not get an answer; {@code refused}: the URL is not allowed (never retry). */
    public static class FetchException extends IOException {
        private final boolean refused;

        public FetchException(String message, boolean refused) {
            super(message, null);
            this.refused = refused;
        }

        public boolean refused() {
            return refused;
        }
    }

    /** An answer whose body is read as it arrives; closing it closes the connection. */
    public static final class Response implements Closeable {
        private final int status;
        private final Map<String, String> headers;
        private final InputStream body;
        private final Socket socket;

        Response(int status, Map<String, String> headers, InputStream body, Socket socket) {
            this.status = status;
            this.headers = Map.copyOf(headers);
            this.body = body;
            this.socket = socket;
        }

        public int status() {
            return status;
        }

        /** A header by its lower-case name, or null. */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        public InputStream body() {
            return body;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    static final int MAX_HEAD_BYTES = 64 * 1024;
    static final int MAX_REDIRECTS = 5;

    private final java.util.function.Predicate<InetAddress> allowed;
    /** The {@code host:port}s of Foley's own storage (local mode's S3, its generator's files): readable even when strict. */
    private final java.util.Set<String> ownStorage;

    /** Strict: public addresses only (a deployed stack); otherwise any address (local mode). */
    public PinnedHttp(boolean strict) {
        this(strict ? UrlPolicy::isPublic : a -> true);
    }

    /** The same, with Foley's own storage at {@code ownStorage} ({@code host:port}s) readable whatever its address. */
    public PinnedHttp(boolean strict, java.util.Collection<String> ownStorage) {
        this(strict ? UrlPolicy::isPublic : a -> true, ownStorage);
    }

    /** With its own rule for which addresses may be connected to (tests). */
    public PinnedHttp(java.util.function.Predicate<InetAddress> allowed) {
        this(allowed, java.util.List.of());
    }

    private PinnedHttp(java.util.function.Predicate<InetAddress> allowed, java.util.Collection<String> ownStorage) {
        this.allowed = allowed;
        this.ownStorage = ownStorage.stream().map(a -> a.toLowerCase(Locale.ROOT)).collect(java.util.stream.Collectors.toUnmodifiableSet());
    }

    /**
     * Where Foley's own storage is, as {@code host:port}s: the S3 endpoint when one is configured
     * (local mode's moto, LocalStack) and any provider that serves outputs from this machine.
     */
    public static java.util.List<String> ownStorage(java.util.Optional<URI> s3Endpoint, java.util.List<String> providerHosts) {
        java.util.List<String> out = new java.util.ArrayList<>(providerHosts);
        s3Endpoint.map(URI::getRawAuthority).ifPresent(out::add);
        return out;
    }

    /** One POST (a webhook delivery); redirects are not followed. */
    public Result post(URI url, Map<String, String> headers, byte[] body, Duration timeout) {
        long t0 = System.nanoTime();
        InetAddress target;
        try {
            target = checkedAddress(url);
        } catch (FetchException e) {
            return new Result(0, ms(t0), e.getMessage(), "");
        }
        Socket s = null;
        try {
            s = connect(url, target, timeout, timeout);
            Map<String, String> h = new HashMap<>(headers);
            h.put("Content-Type", "application/json");
            h.put("Content-Length", Integer.toString(body.length));
            h.put("User-Agent", "Foley-Webhooks/1");
            OutputStream out = s.getOutputStream();
            out.write(Http11.head("POST", url, h).getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            int status = Http11.readHead(new BufferedInputStream(s.getInputStream()), new HashMap<>());
            return new Result(status, ms(t0), status >= 200 && status < 300 ? ""
                    : status >= 300 && status < 400 ? "redirects are not followed" : "", target.getHostAddress());
        } catch (SocketTimeoutException e) {
            return new Result(0, ms(t0), "no answer within " + timeout.toSeconds() + " s", target.getHostAddress());
        } catch (IOException e) {
            return new Result(0, ms(t0), "connection failed (" + e.getClass().getSimpleName() + ")", target.getHostAddress());
        } finally {
            closeQuietly(s);
        }
    }

    /**
     * A GET whose body streams: redirects (301, 302, 303, 307, 308) are followed up to
     * {@link #MAX_REDIRECTS} times, each target checked like the first. {@code readTimeout} bounds
     * each read (a stall), {@code until} the whole download. Errors say what happened in general
     * terms only: no address, no port state.
     */
    public Response get(URI url, Map<String, String> headers, Duration readTimeout, Deadline until) throws FetchException {
        URI current = url;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            InetAddress target = checkedAddress(current);
            Socket s = null;
            try {
                Duration left = until.remaining();
                if (left.isZero()) {
                    throw new FetchException("out of time", false);
                }
                Duration connect = left.compareTo(readTimeout) < 0 ? left : readTimeout;
                s = connect(current, target, connect, readTimeout);
                Map<String, String> h = new HashMap<>(headers);
                h.put("User-Agent", "Foley/1");
                h.put("Accept-Encoding", "identity");
                OutputStream out = s.getOutputStream();
                out.write(Http11.head("GET", current, h).getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                // Paced from the first byte of the answer (the wait for it is the socket's read timeout):
                // headers that trickle count as much as a body that does.
                InputStream in = new BufferedInputStream(new PacedInput(s.getInputStream(), until, System.nanoTime()));
                Map<String, String> answer = new HashMap<>();
                int status = Http11.readHead(in, answer);
                String location = answer.get("location");
                if (List.of(301, 302, 303, 307, 308).contains(status) && location != null) {
                    closeQuietly(s);
                    try {
                        current = current.resolve(location.strip());
                    } catch (IllegalArgumentException bad) {
                        throw new FetchException("redirected to an invalid URL", true);
                    }
                    continue;
                }
                InputStream body;
                if ("chunked".equalsIgnoreCase(String.valueOf(answer.get("transfer-encoding")).strip())) {
                    body = new Http11.Chunked(in);
                } else if (answer.containsKey("content-length")) {
                    long n;
                    try {
                        n = Long.parseLong(answer.get("content-length").strip());
                    } catch (NumberFormatException e) {
                        throw new FetchException("the answer's Content-Length is not a number", false);
                    }
                    body = new Http11.Bounded(in, n);
                } else {
                    body = in;
                }
                return new Response(status, answer, body, s);
            } catch (FetchException e) {
                closeQuietly(s);
                throw e;
            } catch (SocketTimeoutException e) {
                closeQuietly(s);
                throw new FetchException("no answer in time", false);
            } catch (IOException e) {
                closeQuietly(s);
                throw new FetchException("the connection failed", false);
            }
        }
        throw new FetchException("too many redirects", true);
    }

    /** The address to connect to for {@code url}: resolved once, and, when strict, every address public. */
    private InetAddress checkedAddress(URI url) throws FetchException {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http")) {
            throw new FetchException("not an http(s) URL", true);
        }
        if (url.getHost() == null || url.getRawUserInfo() != null) {
            throw new FetchException("not an http(s) URL with a host", true);
        }
        try {
            if (url.getRawAuthority() != null && ownStorage.contains(url.getRawAuthority().toLowerCase(Locale.ROOT))) {
                return InetAddress.getByName(url.getHost()); // our own storage's endpoint, named by our configuration
            }
            return pick(url.getHost());
        } catch (UnknownHostException e) {
            throw new FetchException("host " + url.getHost() + " does not resolve", false);
        } catch (SecurityException e) {
            throw new FetchException(e.getMessage(), true);
        }
    }

    /** The first address of {@code host} that the policy allows; refuses the host if any address is not allowed. */
    InetAddress pick(String host) throws UnknownHostException {
        String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        InetAddress[] all = InetAddress.getAllByName(h);
        for (InetAddress a : all) {
            if (!allowed.test(a)) {
                throw new SecurityException("host " + host + " is not a public address");
            }
        }
        return all[0];
    }

    private static Socket connect(URI url, InetAddress target, Duration connectTimeout, Duration readTimeout) throws IOException {
        boolean tls = "https".equalsIgnoreCase(url.getScheme());
        int port = url.getPort() > 0 ? url.getPort() : tls ? 443 : 80;
        Socket raw = new Socket();
        try {
            raw.connect(new InetSocketAddress(target, port), (int) Math.max(1, connectTimeout.toMillis()));
            raw.setSoTimeout((int) Math.max(1, readTimeout.toMillis()));
            if (!tls) {
                return raw;
            }
            SSLSocket ssl = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault()).createSocket(raw, url.getHost(), port, true);
            SSLParameters p = ssl.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setServerNames(List.of(new SNIHostName(url.getHost())));
            ssl.setSSLParameters(p);
            ssl.startHandshake();
            return ssl;
        } catch (IOException e) {
            raw.close();
            throw e;
        }
    }

    private static void closeQuietly(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
