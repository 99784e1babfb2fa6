package dev.foley.net;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 on the wire, for {@link PinnedHttp} (which connects to the one address it checked, so
 * it speaks the protocol itself): the request head, the answer's status line and headers, and
 * bodies framed by {@code Content-Length} or chunked, each with the limits a hostile server must
 * not be able to push past (a line of at most 8 KiB, headers of at most 64 KiB).
 */
final class Http11 {

    private Http11() {
    }

    static String head(String method, URI url, Map<String, String> headers) {
        boolean tls = "https".equalsIgnoreCase(url.getScheme());
        int port = url.getPort() > 0 ? url.getPort() : tls ? 443 : 80;
        String path = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        StringBuilder head = new StringBuilder();
        head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
        head.append("Host: ").append(url.getPort() > 0 ? url.getHost() + ":" + port : url.getHost()).append("\r\n");
        head.append("Connection: close\r\n");
        for (var h : headers.entrySet()) {
            if (h.getKey().matches("[A-Za-z0-9-]+") && !h.getValue().contains("\r") && !h.getValue().contains("\n")) {
                head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
            }
        }
        return head.append("\r\n").toString();
    }

    /** Reads the status line and headers (skipping 1xx answers); returns the status, fills {@code headers} (lower-case names). */
    static int readHead(InputStream in, Map<String, String> headers) throws IOException {
        int total = 0;
        while (true) {
            headers.clear();
            String statusLine = line(in);
            total += statusLine.length();
            String[] parts = statusLine.trim().split(" ");
            if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
                throw new IOException("not an HTTP answer");
            }
            int status;
            try {
                status = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new IOException("not an HTTP status");
            }
            while (true) {
                String l = line(in);
                total += l.length() + 2;
                if (total > PinnedHttp.MAX_HEAD_BYTES) {
                    throw new IOException("answer head too large");
                }
                if (l.isEmpty()) {
                    break;
                }
                int colon = l.indexOf(':');
                if (colon > 0) {
                    headers.merge(l.substring(0, colon).strip().toLowerCase(Locale.ROOT), l.substring(colon + 1).strip(),
                            (a, b) -> a + ", " + b);
                }
            }
            if (status >= 200 || status < 100) {
                return status;
            }
        }
    }

    /** One line without its CRLF (or LF); at most 8 KiB. */
    static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (b.size() >= 8192) {
                throw new IOException("line too long");
            }
            b.write(c);
        }
        if (c == -1 && b.size() == 0) {
            throw new IOException("connection closed before an answer");
        }
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /** A body of {@code Content-Length} bytes: ends there, and fails if the connection ends first. */
    static final class Bounded extends FilterInputStream {
        private long left;

        Bounded(InputStream in, long length) {
            super(in);
            left = length;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = super.read(b, off, (int) Math.min(len, left));
            if (n == -1) {
                throw new IOException("the body ended " + left + " bytes short");
            }
            left -= n;
            return n;
        }
    }

    /** A {@code Transfer-Encoding: chunked} body, decoded. */
    static final class Chunked extends InputStream {
        private final InputStream in;
        private long left;
        private boolean done;

        Chunked(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (left == 0) {
                String size = line(in);
                int semi = size.indexOf(';');
                try {
                    left = Long.parseLong((semi >= 0 ? size.substring(0, semi) : size).strip(), 16);
                } catch (NumberFormatException e) {
                    throw new IOException("bad chunk size");
                }
                if (left < 0) {
                    throw new IOException("bad chunk size");
                }
                if (left == 0) {
                    while (!line(in).isEmpty()) {
                        // trailers: ignored
                    }
                    done = true;
                    return -1;
                }
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n == -1) {
                throw new IOException("the body ended inside a chunk");
            }
            left -= n;
            if (left == 0) {
                line(in); // the CRLF after the chunk
            }
            return n;
        }
    }

}
