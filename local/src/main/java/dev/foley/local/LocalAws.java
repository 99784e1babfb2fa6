package dev.foley.local;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The local AWS endpoint, got one way by local mode, the CLI, the benchmarks and the tests: the
 * one given ({@code --aws-endpoint}: LocalStack, a moto of your own), used as it is; or a
 * {@code moto_server} (found, or installed into the data directory the first time) started here
 * and stopped when this is closed.
 */
public final class LocalAws implements AutoCloseable {

    private final URI endpoint;
    private final MotoServer moto;

    private LocalAws(URI endpoint, MotoServer moto) {
        this.endpoint = endpoint;
        this.moto = moto;
    }

    /**
     * The given endpoint, or a moto started on {@code port} (0: any free port) logging to
     * {@code log}; progress (an install) is told to {@code out}.
     */
    public static LocalAws open(Optional<URI> given, Path dataDir, int port, Path log, PrintStream out)
            throws IOException, InterruptedException {
        if (given.isPresent()) {
            return new LocalAws(given.get(), null);
        }
        Path python = MotoServer.findOrInstall(dataDir, out);
        int p = port == 0 ? freePort() : port;
        return new LocalAws(null, MotoServer.start(python, p, log));
    }

    public URI endpoint() {
        return moto != null ? moto.endpoint() : endpoint;
    }

    /** The moto started here, if one was. */
    public Optional<MotoServer> moto() {
        return Optional.ofNullable(moto);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        if (moto != null) {
            moto.close();
        }
    }
}
