package dev.foley.provider;

import dev.foley.net.PinnedHttp;
import dev.foley.net.UrlPolicy;
import dev.foley.prediction.PredictionRequest;
import dev.foley.time.Deadline;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Makes a request readable by the provider it goes to: a video at a private address (a clip in
 * local mode's S3 on 127.0.0.1, a long video's window, a file on the LAN) is fetched here and
 * uploaded to the provider's own storage first, the way its published clients upload a local
 * file; and a callback URL no provider on the internet can reach is left out (the poller asks
 * instead). {@code FOLEY_UPLOAD_INPUTS}: {@code auto} (the default) does this for a provider at a
 * public address; {@code always} also for one at a private address (a stand-in or a tunnel);
 * {@code never} passes every URL as given.
 */
public final class InputStaging {

    public enum Mode {
        AUTO, ALWAYS, NEVER;

        public static Mode parse(String v) {
            if (v == null || v.isBlank()) {
                return AUTO;
            }
            try {
                return valueOf(v.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("FOLEY_UPLOAD_INPUTS must be auto, always or never, got '" + v + "'");
            }
        }
    }

    /** Inputs are clips: a fetch larger than this is refused rather than filling the disk. */
    static final long MAX_BYTES = 2L << 30;

    public static final InputStaging NONE = new InputStaging(Mode.NEVER, null, null);

    private final Mode mode;
    private final PinnedHttp fetcher;
    private final Path dir;

    public InputStaging(Mode mode, PinnedHttp fetcher, Path dir) {
        this.mode = mode;
        this.fetcher = fetcher;
        this.dir = dir;
    }

    /** Whether {@code p} must be given {@code url}'s bytes rather than the URL. */
    boolean mustUpload(InferenceProvider p, URI url) {
        if (mode == Mode.NEVER || p.base().isEmpty()) {
            return false;
        }
        // The provider's host first: it is resolved for the call anyway (and cached), so a provider on
        // a private network costs no lookup of the video's host.
        if (mode == Mode.AUTO && isPrivate(p.base().get().getHost())) {
            return false;
        }
        return isPrivate(url.getHost());
    }

    /** The callback to give {@code p}: none where it could not be reached from there. */
    public Optional<URI> callbackFor(InferenceProvider p, Optional<URI> callback) {
        if (callback.isEmpty() || mode == Mode.NEVER || p.base().isEmpty()) {
            return callback;
        }
        return isPrivate(callback.get().getHost()) && !isPrivate(p.base().get().getHost()) ? Optional.empty() : callback;
    }

    /** {@code r} as {@code p} can read it: its video uploaded to {@code p} first when it must be. */
    public PredictionRequest forProvider(InferenceProvider p, PredictionRequest r, List<String> log, Deadline until)
            throws ProviderException {
        if (r.video() == null) {
            return r;
        }
        URI url;
        try {
            url = URI.create(r.video());
        } catch (IllegalArgumentException e) {
            return r;
        }
        if (!mustUpload(p, url)) {
            return r;
        }
        Path file = null;
        try {
            Files.createDirectories(dir);
            String name = fileName(url);
            file = Files.createTempFile(dir, "stage-", "-" + name);
            String type;
            try (PinnedHttp.Response got = fetcher.get(url, Map.of(), Duration.ofSeconds(30), until)) {
                if (got.status() != 200) {
                    // A 5xx or 429 from where the video is may pass (tried again later); any other answer will not.
                    String reason = "video: could not be read (HTTP " + got.status() + ")";
                    throw got.status() >= 500 || got.status() == 429 ? ProviderException.retryable(reason)
                            : ProviderException.rejected(reason);
                }
                type = Optional.ofNullable(got.header("content-type")).map(t -> t.split(";", 2)[0].strip())
                        .filter(t -> t.contains("/") && !t.equals("application/octet-stream") && !t.equals("binary/octet-stream"))
                        .orElse(guessType(name));
                copy(got.body(), file);
            }
            long t0 = System.nanoTime();
            String staged = p.upload(new InferenceProvider.Upload(name, type, file), until);
            log.add(p.name() + ": uploaded the video (" + Files.size(file) + " bytes, " + (System.nanoTime() - t0) / 1_000_000
                    + " ms): it is at a private address the provider cannot fetch");
            return r.withVideo(staged);
        } catch (PinnedHttp.FetchException e) {
            // Refused by the URL rules (a redirect elsewhere, a bad URL): final. The network failing: tried again later.
            String reason = "video: could not be read (" + e.getMessage() + ")";
            throw e.refused() ? ProviderException.rejected(reason) : ProviderException.retryable(reason);
        } catch (IOException e) {
            throw ProviderException.retryable("video: could not be staged for upload: " + e.getMessage());
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a temp file: the OS cleans up
                }
            }
        }
    }

    private static void copy(InputStream in, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            byte[] buf = new byte[1 << 16];
            long total = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                total += n;
                if (total > MAX_BYTES) {
                    throw new PinnedHttp.FetchException("larger than " + (MAX_BYTES >> 30) + " GB", false);
                }
                out.write(buf, 0, n);
            }
        }
    }

    /** The URL's last path segment, made safe as a file name (the provider sees it); {@code video.mp4} when there is none. */
    static String fileName(URI url) {
        String path = url.getPath() == null ? "" : url.getPath();
        String last = path.substring(path.lastIndexOf('/') + 1).replaceAll("[^A-Za-z0-9._-]", "_");
        if (last.length() > 100) {
            last = last.substring(last.length() - 100);
        }
        return last.isEmpty() || last.startsWith(".") ? "video.mp4" : last;
    }

    /** The type the providers' clients send for a name (theirs map extensions the same way). */
    public static String guessType(String name) {
        String ext = name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
        return switch (ext) {
            case "mp4", "m4v" -> "video/mp4";
            case "mov" -> "video/quicktime";
            case "webm" -> "video/webm";
            case "mkv" -> "video/x-matroska";
            case "avi" -> "video/x-msvideo";
            case "mp3" -> "audio/mpeg";
            case "wav" -> "audio/x-wav";
            case "flac" -> "audio/x-flac";
            case "m4a" -> "audio/mp4";
            default -> "application/octet-stream";
        };
    }

    /** Whether a host is (or resolves to) an address no one on the internet can reach; an unknown name is not. */
    static boolean isPrivate(String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        try {
            for (InetAddress a : InetAddress.getAllByName(host.startsWith("[") ? host.substring(1, host.length() - 1) : host)) {
                if (!UrlPolicy.isPublic(a)) {
                    return true;
                }
            }
            return false;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
