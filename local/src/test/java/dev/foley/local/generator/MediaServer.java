package dev.foley.local.generator;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;

/** Serves the test clips (src/test/resources/media) over HTTP, as a video URL would. */
public final class MediaServer implements AutoCloseable {

    private final HttpServer server;

    public MediaServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/media/", ex -> {
            try (ex; InputStream in = MediaServer.class.getResourceAsStream(ex.getRequestURI().getPath())) {
                if (in == null) {
                    ex.sendResponseHeaders(404, -1);
                    return;
                }
                byte[] b = in.readAllBytes();
                ex.getResponseHeaders().set("content-type", "video/mp4");
                ex.sendResponseHeaders(200, b.length);
                ex.getResponseBody().write(b);
            }
        });
        // A "video" that says it is 5 GB (and then sends a little): what a fetcher must refuse from the header.
        server.createContext("/huge.mp4", ex -> {
            try (ex) {
                ex.getResponseHeaders().set("content-type", "video/mp4");
                ex.sendResponseHeaders(200, 5_000_000_000L);
                ex.getResponseBody().write(new byte[1024]);
                ex.getResponseBody().flush();
                Thread.sleep(2000); // the client reads the header and hangs up
            } catch (InterruptedException stop) {
                Thread.currentThread().interrupt();
            } catch (java.io.IOException closed) {
                // the client hung up, as it should
            }
        });
        server.createContext("/files/", ex -> {
            try (ex) {
                java.nio.file.Path dir = files;
                java.nio.file.Path f = dir == null ? null : dir.resolve(ex.getRequestURI().getPath().substring("/files/".length())).normalize();
                if (f == null || !f.startsWith(dir) || !java.nio.file.Files.isRegularFile(f)) {
                    ex.sendResponseHeaders(404, -1);
                    return;
                }
                ex.getResponseHeaders().set("content-type", "video/mp4");
                ex.sendResponseHeaders(200, java.nio.file.Files.size(f));
                java.nio.file.Files.copy(f, ex.getResponseBody());
            }
        });
        server.start();
    }

    private volatile java.nio.file.Path files;

    /** Serves the files of {@code dir} too, at {@link #fileUrl}. */
    public MediaServer serving(java.nio.file.Path dir) {
        files = dir.toAbsolutePath().normalize();
        return this;
    }

    public String fileUrl(String name) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/files/" + name;
    }

    /** The 5 GB "video" above. */
    public String hugeUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/huge.mp4";
    }

    public String url(String name) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/media/" + name;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
