package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./foley serve} as a process: when its moto dies under it, it says so and stops instead of erring forever. */
class ServeProcessTest {

    @TempDir
    Path tmp;

    @Test
    void stopsWithAClearMessageWhenItsAwsEndpointDies() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Path log = tmp.resolve("serve.log");
        // Two different ports: a free port asked for twice can come back twice (seen in CI: both on one port, serve refused).
        int apiPort = LocalFoley.freePort();
        int awsPort = LocalFoley.freePort();
        while (awsPort == apiPort) {
            awsPort = LocalFoley.freePort();
        }
        Process serve = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), FoleyCli.class.getName(),
                "serve", "--port", Integer.toString(apiPort), "--aws-port", Integer.toString(awsPort),
                "--data", tmp.resolve("data").toString(), "--template", Moto.template().toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!Files.readString(log).contains("API key") && System.nanoTime() < end && serve.isAlive()) {
                Thread.sleep(200);
            }
            assertTrue(Files.readString(log).contains("Foley is running"), Files.readString(log));
            List<ProcessHandle> moto = serve.descendants()
                    .filter(p -> p.info().commandLine().orElse("").contains("moto")).toList();
            assertFalse(moto.isEmpty(), "serve runs its own moto");
            moto.forEach(ProcessHandle::destroyForcibly);
            assertTrue(serve.waitFor(20, TimeUnit.SECONDS), "serve stopped after its moto died");
            assertEquals(1, serve.exitValue());
            assertTrue(Files.readString(log).contains("the local AWS endpoint (moto_server) stopped"), Files.readString(log));
        } finally {
            serve.descendants().forEach(ProcessHandle::destroyForcibly);
            serve.destroyForcibly();
        }
    }
}
