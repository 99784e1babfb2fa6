package dev.foley.provider;

import dev.foley.time.Deadline;
import java.io.FileNotFoundException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** What the three providers' uploads share: a policy sized to the file, the signed PUT, multipart bodies, refusals worded for the client. */
final class Uploads {

    /** Headers the JDK's client sets itself and refuses to be given. */
    private static final Set<String> RESTRICTED = Set.of("host", "content-length", "connection", "expect", "upgrade");

    private Uploads() {
    }

    /** Two tries; each may take a minute plus a second per megabyte (a slow uplink still gets a 500 MB clip through). */
    static ProviderHttp.Policy policyFor(long bytes) {
        return new ProviderHttp.Policy(2, Duration.ofMillis(500), Duration.ofSeconds(5),
                Duration.ofSeconds(60 + bytes / 1_000_000));
    }

    /** PUTs the file to a signed upload URL with the headers the provider asked for. */
    static void put(ProviderHttp http, String provider, URI url, Map<String, String> headers, InferenceProvider.Upload f,
            Deadline until) throws ProviderException {
        http.call(provider, () -> {
            HttpRequest.Builder b = HttpRequest.newBuilder(url).PUT(file(f));
            headers.forEach((k, v) -> {
                if (!RESTRICTED.contains(k.toLowerCase(Locale.ROOT))) {
                    b.header(k, v);
                }
            });
            return b;
        }, true, policyFor(f.size()), until);
    }

    static HttpRequest.BodyPublisher file(InferenceProvider.Upload f) {
        try {
            return HttpRequest.BodyPublishers.ofFile(f.file());
        } catch (FileNotFoundException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A multipart/form-data body streamed from the file: its content type, then the body. */
    record Form(String contentType, HttpRequest.BodyPublisher body) {
    }

    /**
     * One file field named {@code field}, then {@code extra} fields, each {@code name → (type,
     * bytes)}, as browsers and the providers' clients send them.
     */
    static Form form(String field, InferenceProvider.Upload f, Map<String, Map.Entry<String, byte[]>> extra) {
        String boundary = "foley-" + UUID.randomUUID();
        StringBuilder head = new StringBuilder();
        head.append("--").append(boundary).append("\r\n")
                .append("Content-Disposition: form-data; name=\"").append(field).append("\"; filename=\"")
                .append(quoted(f.filename())).append("\"\r\n")
                .append("Content-Type: ").append(f.contentType()).append("\r\n\r\n");
        StringBuilder tail = new StringBuilder("\r\n");
        List<HttpRequest.BodyPublisher> parts = new java.util.ArrayList<>();
        parts.add(HttpRequest.BodyPublishers.ofByteArray(head.toString().getBytes(StandardCharsets.UTF_8)));
        parts.add(file(f));
        for (var e : extra.entrySet()) {
            tail.append("--").append(boundary).append("\r\n")
                    .append("Content-Disposition: form-data; name=\"").append(e.getKey()).append("\"; filename=\"")
                    .append(e.getKey()).append("\"\r\n")
                    .append("Content-Type: ").append(e.getValue().getKey()).append("\r\n\r\n")
                    .append(new String(e.getValue().getValue(), StandardCharsets.UTF_8)).append("\r\n");
        }
        tail.append("--").append(boundary).append("--\r\n");
        parts.add(HttpRequest.BodyPublishers.ofByteArray(tail.toString().getBytes(StandardCharsets.UTF_8)));
        return new Form("multipart/form-data; boundary=" + boundary,
                HttpRequest.BodyPublishers.concat(parts.toArray(HttpRequest.BodyPublisher[]::new)));
    }

    private static String quoted(String name) {
        return name.replace("\\", "_").replace("\"", "_").replace("\r", "_").replace("\n", "_");
    }

    /** A refused upload, worded for whoever asked (generate's user, a prediction's error): the provider's reason kept. */
    static ProviderException refused(String provider, InferenceProvider.Upload f, ProviderException e) {
        if (e.kind() != ProviderException.Kind.REJECTED && e.kind() != ProviderException.Kind.NOT_FOUND) {
            return e;
        }
        String reason = provider + " refused the upload of " + f.filename() + " (" + f.size() + " bytes): "
                + ProviderErrors.excerpt(e.getMessage());
        return new ProviderException(ProviderException.Kind.REJECTED, reason, e.httpStatus(), java.util.Optional.empty(), false,
                e.attempts(), "video: " + reason);
    }

    /** A 2xx answer without what the client needs to go on. */
    static ProviderException malformed(String provider, String what) {
        return new ProviderException(ProviderException.Kind.RETRYABLE, provider + "'s upload answer has no " + what, 200,
                java.util.Optional.empty(), false, List.of());
    }
}
