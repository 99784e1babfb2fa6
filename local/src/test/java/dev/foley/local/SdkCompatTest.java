package dev.foley.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The hosted API's own client SDK (npm {@code wavespeed} 0.3.2) against local Foley, changing only
 * its base URL. Needs Node.js 20+ and npm (the SDK is installed from the npm registry into
 * {@code local/src/test/sdk/node_modules}); skipped, saying so, where they are missing, and
 * required in CI ({@code FOLEY_REQUIRE_NODE=1}).
 */
@ExtendWith(Moto.class)
class SdkCompatTest {

    static final Path DIR = Moto.projectRoot().resolve("local/src/test/sdk");

    @Test
    void officialJavaScriptSdkSubmitsAndPolls() throws Exception {
        boolean required = "1".equals(System.getenv("FOLEY_REQUIRE_NODE"));
        boolean haveNode = works("node", "--version") && works("npm", "--version");
        if (required && !haveNode) {
            throw new AssertionError("FOLEY_REQUIRE_NODE=1 but node/npm are not on the PATH");
        }
        assumeTrue(haveNode, "node and npm are not installed: the SDK compatibility test is skipped");
        if (!Files.isDirectory(DIR.resolve("node_modules/wavespeed"))) {
            Path log = Moto.projectRoot().resolve("local/target/npm-install.log");
            assertEquals(0, run(List.of("npm", "install", "--no-audit", "--no-fund"), Map.of(), log),
                    () -> "npm install failed: " + readQuietly(log));
        }
        try (var emulator = new dev.foley.provider.emulator.WaveSpeedEmulator("ws-key")) {
            // The provider never finishes here: this test is about the contract, not generation.
            emulator.script(dev.foley.provider.emulator.ProviderEmulator.Script.neverFinishes());
            var o = new LocalFoley.Options(0, Moto.endpoint(), Moto.template(), Moto.tableName("sdk"),
                    "fk_sdk-compat-key-0123456789", false, Moto.wavespeed(emulator), Moto.projectRoot().resolve("local/target/local-data"));
            runSdkTests(o);
        }
    }

    private static void runSdkTests(LocalFoley.Options o) throws Exception {
        try (LocalFoley foley = LocalFoley.start(o)) {
            Path log = Moto.projectRoot().resolve("local/target/sdk-compat.log");
            int rc = run(List.of("node", "--test", "wavespeed-sdk.test.mjs"),
                    Map.of("FOLEY_BASE_URL", foley.baseUrl(), "FOLEY_API_KEY", foley.apiKey()), log);
            String output = Files.readString(log);
            System.out.println(output);
            assertEquals(0, rc, "node --test failed:\n" + output);
            assertTrue(output.contains("# fail 0") && !output.contains("# pass 0"), output);
        }
    }

    static boolean works(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "(no log)";
        }
    }

    static int run(List<String> command, Map<String, String> env, Path log) throws Exception {
        return run(DIR, command, env, log);
    }

    /** Runs a node/npm command in {@code dir}, its output to {@code log}, within six minutes. */
    static int run(Path dir, List<String> command, Map<String, String> env, Path log) throws Exception {
        Files.createDirectories(log.getParent());
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(6, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(command + " timed out");
        }
        return p.exitValue();
    }
}
