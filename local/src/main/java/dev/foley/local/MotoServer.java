package dev.foley.local;

import java.io.IOException;
import java.io.PrintStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The local AWS endpoint: moto's {@code moto_server} (Apache-2.0; DynamoDB, S3 and SQS in one
 * process) on 127.0.0.1, run with requests serialised (see {@code moto_serialized.py}). moto is
 * found on the PATH or in {@code <data>/venv}, and installed there (pinned to 5.2.x) when missing.
 * Local mode and the tests share this one implementation.
 */
public final class MotoServer implements AutoCloseable {

    public static final String MOTO_REQUIREMENT = "moto[server]>=5.2,<5.3";

    private final Process process;
    private final URI endpoint;
    private volatile boolean closing;

    private MotoServer(Process process, URI endpoint) {
        this.process = process;
        this.endpoint = endpoint;
    }

    public URI endpoint() {
        return endpoint;
    }

    /** Runs {@code then} if moto stops without being closed (killed, crashed). */
    public void onUnexpectedExit(Runnable then) {
        process.onExit().thenRun(() -> {
            if (!closing) {
                then.run();
            }
        });
    }

    /**
     * Finds a Python that has moto: {@code FOLEY_MOTO_PYTHON}, the interpreter of a
     * {@code moto_server} on the PATH, {@code python3} on the PATH, then the data dir's venv.
     */
    public static Optional<Path> find(Path dataDir) {
        List<Path> candidates = new java.util.ArrayList<>();
        String explicit = System.getenv("FOLEY_MOTO_PYTHON");
        if (explicit != null && !explicit.isBlank()) {
            candidates.add(Path.of(explicit));
        }
        onPath("moto_server").flatMap(MotoServer::shebangInterpreter).ifPresent(candidates::add);
        onPath("python3").ifPresent(candidates::add);
        candidates.add(venvPython(dataDir));
        for (Path py : candidates) {
            if (Files.isExecutable(py) && hasMoto(py)) {
                return Optional.of(py);
            }
        }
        return Optional.empty();
    }

    /** Finds a Python with moto or installs moto into {@code <data>/venv}, printing progress. */
    public static Path findOrInstall(Path dataDir, PrintStream out) throws IOException, InterruptedException {
        Optional<Path> found = find(dataDir);
        if (found.isPresent()) {
            return found.get();
        }
        Path venv = dataDir.resolve("venv");
        out.println("moto not found: installing " + MOTO_REQUIREMENT + " into " + venv + " (one time) ...");
        Files.createDirectories(dataDir);
        run(List.of("python3", "-m", "venv", venv.toString()),
                "Python 3 with the venv module is needed for the local AWS endpoint "
                        + "(Debian/Ubuntu: apt-get install python3-venv)");
        run(List.of(venvPython(dataDir).toString(), "-m", "pip", "install", "--progress-bar", "on",
                MOTO_REQUIREMENT), "pip could not install " + MOTO_REQUIREMENT);
        Path py = venvPython(dataDir);
        if (!hasMoto(py)) {
            throw new IOException("installed moto, but " + py + " cannot import it");
        }
        out.flush();
        return py;
    }

    /** Starts moto_server (serialised, see moto_serialized.py) on 127.0.0.1:port and waits until it answers. */
    public static MotoServer start(Path python, int port, Path logFile) throws IOException, InterruptedException {
        return start(python, port, logFile, java.util.Map.of());
    }

    /** The same, with {@code env} added to moto's environment (e.g. to make it check every request's signature). */
    public static MotoServer start(Path python, int port, Path logFile, java.util.Map<String, String> env)
            throws IOException, InterruptedException {
        if (portInUse(port)) {
            throw new IOException("port " + port + " on 127.0.0.1 is already in use; pick another with --aws-port, "
                    + "or use a running endpoint with --aws-endpoint http://127.0.0.1:" + port);
        }
        Files.createDirectories(logFile.toAbsolutePath().getParent());
        Path script = logFile.toAbsolutePath().getParent().resolve("moto_serialized.py");
        try (var in = MotoServer.class.getResourceAsStream("moto_serialized.py")) {
            Files.write(script, in.readAllBytes());
        }
        ProcessBuilder pb = new ProcessBuilder(python.toString(), script.toString(),
                "-H", "127.0.0.1", "-p", Integer.toString(port))
                .redirectErrorStream(true)
                .redirectOutput(logFile.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        URI endpoint = URI.create("http://127.0.0.1:" + port);
        MotoServer server = new MotoServer(p, endpoint);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IOException("moto_server exited with " + p.exitValue() + "; see " + logFile + ":\n"
                        + tail(logFile));
            }
            if (answers(endpoint)) {
                return server;
            }
            Thread.sleep(100);
        }
        server.close();
        throw new IOException("moto_server did not answer on " + endpoint + " within 60 s; see " + logFile);
    }

    @Override
    public void close() {
        closing = true;
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    static boolean answers(URI endpoint) {
        try {
            HttpURLConnection c = (HttpURLConnection) endpoint.resolve("/moto-api/").toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(2000);
            int code = c.getResponseCode();
            c.disconnect();
            return code > 0;
        } catch (IOException e) {
            return false;
        }
    }

    static boolean portInUse(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static Path venvPython(Path dataDir) {
        return dataDir.resolve("venv").resolve("bin").resolve("python");
    }

    private static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /** The interpreter named by a Python console script's {@code #!} line (not a shell shim's). */
    private static Optional<Path> shebangInterpreter(Path script) {
        try (var r = Files.newBufferedReader(script)) {
            String first = r.readLine();
            if (first != null && first.startsWith("#!") && first.contains("python")) {
                String interp = first.substring(2).strip().split("\\s+")[0];
                return Optional.of(Path.of(interp));
            }
        } catch (IOException | RuntimeException e) {
            // not readable as text: not a console script
        }
        return Optional.empty();
    }

    private static boolean hasMoto(Path python) {
        try {
            Process p = new ProcessBuilder(python.toString(), "-c", "import moto.server, werkzeug")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void run(List<String> command, String failure) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).inheritIO().start();
        } catch (IOException e) {
            throw new IOException(failure + " (" + e.getMessage() + ")");
        }
        int rc = p.waitFor();
        if (rc != 0) {
            throw new IOException(failure + " (exit " + rc + ")");
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
